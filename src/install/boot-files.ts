import type { Config } from '../config/types.js';
import { FOU_MODULE, TUNNEL_KINDS } from '../model/devices.js';
import { sysctlKey } from '../model/sysctl-path.js';
import { desiredSysctls } from '../objects/sysctl.js';
import { tunnelNeeds } from '../plan/placement.js';

// Pure renderers of the files that carry a config's kernel settings across reboots.

// systemd-sysctl applies /etc/sysctl.d files in name order, and systemd's own
// 50-default.conf sets rp_filter=2 on every interface: a name after 50 wins at boot.
// Before 99-sysctl.conf (/etc/sysctl.conf), so the operator's own file still has the last word.
export const SYSCTL_DROP_IN = '/etc/sysctl.d/90-rs-agent.conf';

// The first lines of every file install writes from the config.
export const HEADER = (config: Config) =>
  `# Written by "rs-agent install" from ${config.file}; "rs-agent uninstall" removes it.\n` +
  '# Edit the config and run "rs-agent install" again rather than editing this file.\n';

// The sysctl.d drop-in: the same ARP and rp_filter values `rs-agent start` sets, so
// they hold from early boot and survive a restart of systemd-sysctl. Null when the
// config implies none (IPv6 VIPs only).
export function renderSysctlDropIn(config: Config): string | null {
  const tunnels4 = tunnelNeeds(config)
    .filter((t) => t.family === 4)
    .map((t) => t.name);
  const sysctls = desiredSysctls(
    config.arp,
    config.vips.some((v) => v.family === 4),
    config.interfaces ?? [],
    tunnels4,
  );
  if (sysctls.length === 0) return null;
  const lines = [HEADER(config).trimEnd()];
  lines.push("# Sorts after 50-default.conf, so systemd's rp_filter default does not override these at boot.");
  if (config.interfaces === null) {
    lines.push('# No interfaces in the config: every NIC takes "default" when it appears and is bounded by');
    lines.push('# "all" (the kernel uses the larger of all and the NIC); rs-agent start sets each NIC as well.');
  }
  for (const dev of tunnels4)
    lines.push(`# ${dev} carries IPv4 TUN VIPs: decapsulated packets need rp_filter 0 on both all and ${dev}.`);
  for (const s of sysctls) lines.push(`${sysctlKey(s.path)} = ${s.value}`);
  return `${lines.join('\n')}\n`;
}

// The modules-load.d file: the tunnel modules the config's TUN VIPs need (ipip,
// ip6_tunnel, ip_gre, ip6_gre), loaded at boot so their fallback devices exist before
// rs-agent starts, and fou for GUE. (The GUE listeners themselves are runtime state:
// `rs-agent start` adds them.) Null without TUN VIPs.
export function renderModulesLoad(config: Config): string | null {
  const modules = tunnelNeeds(config).map((t) => TUNNEL_KINDS[t.carrier][t.family].module);
  if (config.vips.some((v) => v.mode === 'tun' && v.encap === 'gue')) modules.push(FOU_MODULE);
  if (modules.length === 0) return null;
  return `${HEADER(config)}${modules.join('\n')}\n`;
}
