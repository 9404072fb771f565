// Pure parsers of two /proc/net files, read per network namespace like everything under
// /proc/net: the devices' packet counters and the kernel's own drop counters.

export interface DeviceReceive {
  packets: number;
  errors: number;
  dropped: number;
}

// /proc/net/dev: "  tunl0: bytes packets errs drop fifo frame compressed multicast | transmit…".
export function parseNetDev(text: string): Map<string, DeviceReceive> {
  const out = new Map<string, DeviceReceive>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const fields = (m[2] as string).trim().split(/\s+/).map(Number);
    if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) continue;
    out.set(m[1] as string, {
      packets: fields[1] as number,
      errors: fields[2] as number,
      dropped: fields[3] as number,
    });
  }
  return out;
}

// /proc/net/netstat: pairs of lines, "TcpExt: Name Name…" then "TcpExt: 0 3…". The
// value of one counter, or null when this kernel does not have it.
export function parseNetstat(text: string, group: string, name: string): number | null {
  const lines = text.split('\n').filter((l) => l.startsWith(`${group}:`));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] as string).split(/\s+/).slice(1);
    const values = (lines[i + 1] as string).split(/\s+/).slice(1);
    const at = names.indexOf(name);
    if (at >= 0 && values[at] !== undefined && /^\d+$/.test(values[at] as string)) return Number(values[at]);
  }
  return null;
}
