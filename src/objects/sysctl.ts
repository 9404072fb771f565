import { kernelNameProblem } from '../config/interface-name.js';
import type { ChangeBase } from '../model/change.js';
import { isVipHome } from '../model/devices.js';
import { describeVipLike } from '../model/exposure.js';
import type { Placement } from '../model/placement.js';
import { arpHomeKey, arpNicKey, deviceKey, rpFilterKey, VIP_GONE, vipGoneOn } from '../model/safety-keys.js';
import {
  confPath,
  deviceOfSysctl,
  isArpSysctl,
  isConfSysctl,
  sysctlKey,
  sysctlName,
  withDevice,
} from '../model/sysctl-path.js';
import { satisfies, weakens } from '../model/sysctl-strength.js';
import type { ActualLink } from '../observe/types.js';
import type { ObjectKind, Observed, PlanContext, Step } from './kind.js';
import { happens, isClaim, isObject, isUndo } from './owned-list.js';

// Per-device sysctls under net/ipv4/conf: the ARP pair on every device that faces the
// wire (and lo, the tunnels, all and default), rp_filter for IPv4 TUN devices. rs-agent
// records each value before its first change and restores exactly that.

export interface DesiredSysctl {
  path: string; // under /proc/sys, e.g. net/ipv4/conf/all/arp_ignore
  value: string;
}

export interface SysctlChange extends ChangeBase {
  kind: 'sysctl';
  action: 'set' | 'restore';
  path: string;
  to: string;
}

// The value each sysctl had before rs-agent first changed it. ifindex: the device's when
// the original was recorded, so the original follows the device through a rename (the
// path names the device). Absent in files written before it existed, and for all/default.
export type SysctlOriginals = Record<string, { original: string; ifindex?: number }>;

// The sysctls a config implies, given its NICs and the devices its IPv4 TUN VIPs arrive
// on (tunl0 for IPIP and GUE, gre0 for GRE). `start` sets them; `install` writes the
// same ones for boot.
export function desiredSysctls(
  arp: { ignore: number; announce: number },
  hasIpv4Vips: boolean,
  nics: readonly string[],
  tunnels4: readonly string[],
): DesiredSysctl[] {
  const sysctls: DesiredSysctl[] = [];
  // ARP is IPv4 only: IPv6 neighbour discovery answers only for addresses on the
  // receiving interface, so IPv6 VIPs need no sysctl and a v6-only config sets none.
  if (hasIpv4Vips) {
    for (const dev of ['all', 'default', 'lo', ...nics, ...tunnels4]) {
      sysctls.push({ path: confPath(4, dev, 'arp_ignore'), value: String(arp.ignore) });
      sysctls.push({ path: confPath(4, dev, 'arp_announce'), value: String(arp.announce) });
    }
  }
  if (tunnels4.length > 0) {
    // The kernel applies max(all, dev): both must be 0 for decapsulated packets,
    // whose source (the client) is not routed via the tunnel, to pass. IPv6 has no
    // rp_filter sysctl; ip6tnl0 and ip6gre0 only have to be up.
    sysctls.push({ path: confPath(4, 'all', 'rp_filter'), value: '0' });
    for (const dev of tunnels4) sysctls.push({ path: confPath(4, dev, 'rp_filter'), value: '0' });
  }
  return sysctls;
}

function desire(placement: Placement): DesiredSysctl[] {
  const tunnels4 = placement.tunnels.filter((t) => t.family === 4).map((t) => t.device);
  return desiredSysctls(
    placement.arp,
    placement.vips.some((v) => v.family === 4),
    placement.nics,
    tunnels4,
  );
}

// Raises what protects less than desired (a stricter value is left alone); restores
// what rs-agent changed but no longer wants, except an ARP sysctl whose original is
// weaker while a VIP-like address remains: that one keeps its value and its recorded
// original, so a later stop can finish the job.
function planSysctls(desired: DesiredSysctl[], owned: SysctlOriginals, ctx: PlanContext) {
  const { actual, exposed } = ctx;
  const changes: SysctlChange[] = [];
  const kept = [];
  const wanted = new Set<string>();
  for (const { path, value } of desired) {
    wanted.add(path);
    const now = actual.sysctls[path] ?? null;
    if (now !== null && satisfies(path, now, value)) continue;
    changes.push({
      kind: 'sysctl',
      action: 'set',
      target: sysctlKey(path),
      path,
      from: now,
      to: value,
      safety: setSafety(path, ctx),
    });
  }
  for (const [path, { original }] of Object.entries(owned)) {
    if (wanted.has(path)) continue;
    const now = actual.sysctls[path] ?? null;
    // Gone with its interface: nothing left to restore.
    if (now === null || now === original) continue;
    if (exposed.length > 0 && isArpSysctl(path) && weakens(path, now, original)) {
      kept.push({ item: `sysctl ${sysctlKey(path)}`, now, original, neededBy: exposed.map(describeVipLike) });
      continue;
    }
    changes.push({
      kind: 'sysctl',
      action: 'restore',
      target: sysctlKey(path),
      path,
      from: now,
      to: original,
      safety: restoreSafety(path),
    });
  }
  return { changes, kept };
}

// Whether a set of this sysctl protects (keeps the host from answering ARP for a VIP):
// what its changes carry as safety.protects, and what the daemon's re-read asks when it
// finds the value moved (a reset of one is an urgent pass).
export function sysctlProtects(path: string): boolean {
  return isArpSysctl(path);
}

// An ARP sysctl protects: the ones of a device facing the wire are what every IPv4 VIP
// waits for. rp_filter protects nothing (a strict value drops a TUN VIP's packets, it
// exposes nothing): it is what the TUN VIPs on its device need to receive anything.
function setSafety(path: string, { actual, placement }: PlanContext): SysctlChange['safety'] {
  const dev = deviceOfSysctl(path) ?? '';
  const needs = dev === 'all' || dev === 'default' ? [] : [deviceKey(dev)];
  if (sysctlProtects(path)) {
    const home = facesWire(dev, actual.links, placement) ? arpNicKey(dev) : arpHomeKey(dev);
    return { provides: [home], needs, protects: true };
  }
  if (sysctlName(path) === 'rp_filter') return { provides: [rpFilterKey(dev)], needs };
  return { provides: [`sysctl:${path}`], needs };
}

// Lowering ARP protection waits until every VIP-like address the plan removes is gone;
// another sysctl until those of its own device are.
function restoreSafety(path: string): SysctlChange['safety'] {
  const dev = deviceOfSysctl(path) ?? '';
  const shared = dev === 'all' || dev === 'default';
  return { provides: [], needs: [isArpSysctl(path) || shared ? VIP_GONE : vipGoneOn(dev)] };
}

// all and default, and any device that is not a VIP's home (lo, a tunnel).
function facesWire(dev: string, links: readonly ActualLink[], placement: Placement): boolean {
  if (dev === 'all' || dev === 'default') return true;
  const link = links.find((l) => l.name === dev);
  if (link) return !isVipHome(link);
  return !placement.tunnels.some((t) => t.device === dev) && dev !== 'lo';
}

// Originals: kept while the sysctl still holds another value (or was not read this
// pass); recorded once, from the value the plan saw or, for a device the pass created,
// the one read just before the first write. No known value, nothing to restore: no claim.
// A sysctl's original is recorded only the first time: a later pass must not mistake
// rs-agent's own value for the operator's.
function after(before: SysctlOriginals, steps: readonly Step<SysctlChange>[], observed: Observed): SysctlOriginals {
  const owned = new Map(
    Object.entries(before).filter(([path, { original }]) => {
      const now = observed.actual.sysctls[path];
      return now === undefined || (now !== null && now !== original);
    }),
  );
  for (const { change, status } of steps) {
    if (isClaim(change) && happens(status)) {
      const original = change.from ?? observed.originals?.[change.path] ?? null;
      if (original !== null && !owned.has(change.path)) owned.set(change.path, { original });
    } else if (isUndo(change) && status === 'applied') owned.delete(change.path);
  }
  return recordIfindexes(Object.fromEntries(owned), observed.actual.links);
}

// A sysctl original is recorded under its /proc/sys path, which names the device. A
// rename (udev, an operator, `ip link set eth0 name lan0`) moves the device's conf
// directory to the new name: without the ifindex the old path reads as absent and the
// original would be forgotten, and the new name's value (rs-agent's own) taken for one.
export function recordIfindexes(sysctls: SysctlOriginals, links: readonly ActualLink[]): SysctlOriginals {
  const byName = new Map(links.map((l) => [l.name, l.ifindex]));
  return Object.fromEntries(
    Object.entries(sysctls).map(([path, entry]) => {
      const ifindex = entry.ifindex ?? byName.get(deviceOfSysctl(path) ?? '');
      return [path, ifindex === undefined ? entry : { ...entry, ifindex }];
    }),
  );
}

// Moves each original whose device now has another name to that name's path. The moved
// original wins over one recorded under the new name: that one was taken from a device
// that had the name before, or from rs-agent's own value.
export function followRenames(sysctls: SysctlOriginals, links: readonly ActualLink[]): SysctlOriginals {
  const byIndex = new Map(links.flatMap((l) => (l.ifindex === undefined ? [] : [[l.ifindex, l.name] as const])));
  const moved: [string, string][] = [];
  for (const [path, entry] of Object.entries(sysctls)) {
    if (entry.ifindex === undefined) continue;
    const name = byIndex.get(entry.ifindex);
    const dev = deviceOfSysctl(path);
    if (name === undefined || dev === null || name === dev) continue;
    moved.push([path, withDevice(path, name)]);
  }
  if (moved.length === 0) return sysctls;
  const out = { ...sysctls };
  for (const [from] of moved) delete out[from];
  for (const [from, to] of moved) out[to] = sysctls[from] as SysctlOriginals[string];
  return out;
}

// The state file's sysctls reach /proc/sys paths: checked as strictly as the config. A
// NIC's sysctl names the device as the kernel does (`a#b`, `-x`, an escape, bytes that
// are not UTF-8: with interfaces omitted every ethernet NIC is set up, whatever its
// name); it only ever becomes a /proc/sys path, never part of an ip command.
function decode(owned: Readonly<Record<string, unknown>>): SysctlOriginals | string {
  const sysctls = owned.sysctls ?? {};
  if (!isObject(sysctls)) return 'owned.sysctls is not a mapping';
  for (const [path, entry] of Object.entries(sysctls)) {
    const dev = deviceOfSysctl(path);
    if (!isConfSysctl(path) || dev === null || kernelNameProblem(dev) !== null)
      return `owned.sysctls: ${JSON.stringify(path)} is not a net.ipv4/ipv6 conf sysctl`;
    if (!isObject(entry) || typeof entry.original !== 'string' || !/^-?\d{1,10}$/.test(entry.original))
      return `owned.sysctls[${JSON.stringify(path)}].original is not an integer value`;
    if (entry.ifindex !== undefined && !(Number.isInteger(entry.ifindex) && (entry.ifindex as number) > 0))
      return `owned.sysctls[${JSON.stringify(path)}].ifindex is not a positive integer`;
  }
  return sysctls as SysctlOriginals;
}

export const sysctlKind: ObjectKind<SysctlChange, DesiredSysctl[], SysctlOriginals> = {
  kind: 'sysctl',
  // Protection first, restored last: after every VIP rs-agent removes is gone.
  rank: { set: 1, restore: 8 },
  execute: { via: 'sysctl', path: (c) => c.path, value: (c) => c.to },
  desire,
  plan: planSysctls,
  owned: {
    empty: () => ({}),
    decode,
    encode: (sysctls) => ({ sysctls }),
    isEmpty: (sysctls) => Object.keys(sysctls).length === 0,
    after,
    followRenames,
  },
  render: (c) =>
    `~ sysctl ${c.target}: ${c.from ?? '(not yet present)'} → ${c.to}${c.action === 'restore' ? ' (restore original)' : ''}`,
};
