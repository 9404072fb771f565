import { parseVipAddress } from '../config/address.js';
import { DEFAULT_TUNNELS } from '../config/types.js';
import { interfaceNameProblem } from '../config/interface-name.js';
import type { Findings, ImportResult, ImportedSetting, Origin } from './types.js';

const NOT_NICS = new Set(['all', 'default', 'lo', DEFAULT_TUNNELS.ipv4, DEFAULT_TUNNELS.ipv6]);

// What the findings amount to as a config, with a note for each line rs-agent does
// differently or not at all.
export function summarize(f: Findings): ImportResult {
  const notes = [...f.notes];
  const add = (at: Origin, reason: string) => notes.push({ ...at, reason });
  const tun4 = f.vips.some((v) => v.mode === 'tun' && v.family === 4);
  const tun6 = f.vips.some((v) => v.mode === 'tun' && v.family === 6);

  const ignore = pick(f.arpIgnore, ['1', '2'], add, 'arp_ignore', 'rs-agent uses 1 or 2 (0 answers ARP for the VIP)');
  const announce = pick(f.arpAnnounce, ['2'], add, 'arp_announce', 'rs-agent always uses 2');

  for (const s of f.rpFilter) {
    if (!tun4) add(s, `rp_filter ${s.value} on ${s.dev}: rs-agent changes rp_filter only for IPv4 TUN VIPs`);
    else if (s.value !== '0') add(s, `rp_filter ${s.value} on ${s.dev}: rs-agent sets 0 on all and tunl0 for TUN VIPs`);
    else if (s.dev !== 'all' && s.dev !== DEFAULT_TUNNELS.ipv4)
      add(
        s,
        `rp_filter 0 on ${s.dev}: rs-agent sets it only on all and tunl0, where the decapsulated packet is checked`,
      );
  }
  const vipAddresses = new Set(f.vips.map((v) => v.address));
  for (const r of f.routes) {
    const parsed = parseVipAddress(r.address.split('/')[0] as string);
    if (typeof parsed === 'string' || !vipAddresses.has(parsed.address)) {
      add(r, `a route to ${r.address} that is not a VIP: rs-agent adds host routes for its VIPs only`);
    }
  }
  for (const m of f.modules) {
    if ((m.name === 'ipip' && !tun4) || (m.name === 'ip6_tunnel' && !tun6))
      add(m, `${m.name} without a matching TUN VIP: rs-agent loads it only when one needs it`);
  }

  const nics: string[] = [];
  const seen = new Set<string>();
  for (const s of [...f.arpIgnore, ...f.arpAnnounce]) {
    if (NOT_NICS.has(s.dev) || seen.has(s.dev)) continue;
    if (interfaceNameProblem(s.dev)) add(s, `"${s.dev}" is not an interface name`);
    else {
      nics.push(s.dev);
      seen.add(s.dev);
    }
  }

  const dr = f.vips.filter((v) => v.mode === 'dr').length;
  return {
    mode: dr >= f.vips.length - dr ? 'dr' : 'tun',
    vips: f.vips,
    interfaces: nics.length > 0 ? nics : null,
    arp: {
      ignore: Number(ignore?.value ?? 1),
      announce: Number(announce?.value ?? 2),
      origin: { ...(ignore ? { ignore } : {}), ...(announce ? { announce } : {}) },
    },
    notes: notes.sort((a, b) => a.line - b.line),
  };
}

// The value the kernel ends up using: the largest accepted one (it applies
// max(all, interface)); each refused value gets a note.
function pick(
  settings: ImportedSetting[],
  accepted: string[],
  add: (at: Origin, reason: string) => void,
  key: string,
  why: string,
): ImportedSetting | undefined {
  let best: ImportedSetting | undefined;
  for (const s of settings) {
    if (!accepted.includes(s.value)) add(s, `${key} ${s.value} on ${s.dev}: ${why}`);
    else if (!best || Number(s.value) > Number(best.value)) best = s;
  }
  const values = new Set(settings.filter((s) => accepted.includes(s.value)).map((s) => s.value));
  if (values.size > 1 && best)
    add(
      best,
      `${key} differs between interfaces; rs-agent sets one value everywhere: took ${best.value}, the one the kernel applies (the larger)`,
    );
  return best;
}
