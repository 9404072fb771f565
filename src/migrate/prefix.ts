import { parseIPv4 } from '../config/address.js';

// The prefix the kernel gives an IPv4 address that ifconfig adds. ifconfig sets the
// address with SIOCSIFADDR, and the kernel then takes the classful length
// (inet_abc_len: /8 for 0-127, /16 for 128-191, /24 for 192-223); a `netmask` sets it
// with SIOCSIFNETMASK afterwards. On lo that prefix is a local route for the whole
// network: the host answers every address in it itself.

export interface KernelPrefix {
  length: number;
  cause: string; // "no netmask" or "netmask 255.255.0.0"
}

// The prefix `ifconfig DEV ADDRESS [netmask M]` leaves on the device, or a reason why
// the netmask cannot be read.
export function ifconfigPrefix(address: string, netmask: string | undefined): KernelPrefix | string {
  if (netmask === undefined) {
    const octets = parseIPv4(address);
    if (octets === null) return { length: 32, cause: 'no netmask' }; // not IPv4: addVip says why
    return { length: classfulLength(octets[0] as number), cause: 'no netmask' };
  }
  const length = maskLength(netmask);
  return length === null ? `netmask ${netmask} is not a netmask` : { length, cause: `netmask ${netmask}` };
}

function classfulLength(first: number): number {
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 32; // class D and E are refused as VIPs anyway
}

// 255.255.255.0 or 0xffffff00 → 24; a mask with a hole in it → null.
function maskLength(mask: string): number | null {
  let value: number;
  if (/^0x[0-9a-f]{1,8}$/i.test(mask)) value = Number.parseInt(mask.slice(2), 16);
  else {
    const octets = parseIPv4(mask);
    if (octets === null) return null;
    value = octets.reduce((sum, o) => sum * 256 + o, 0);
  }
  const bits = value.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') < 0 ? 32 : bits.indexOf('0')) : null;
}

// 192.0.2.10 with /24 → 192.0.2.0/24.
export function ipv4Network(address: string, length: number): string {
  const octets = parseIPv4(address) ?? [0, 0, 0, 0];
  const value = octets.reduce((sum, o) => sum * 256 + o, 0);
  const network = length === 0 ? 0 : Math.floor(value / 2 ** (32 - length)) * 2 ** (32 - length);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${length}`;
}
