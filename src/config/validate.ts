import { ConfigError } from '../errors.js';
import { parseVipAddress } from './address.js';
import { validateDrain, validateHealth } from './drain.js';
import { validateDrift, validateMetrics } from './drift.js';
import { interfaceNameProblem } from './interface-name.js';
import { validateMss } from './mss.js';
import { expectMapping, isObject, show, type Fail } from './schema.js';
import { validateHost, validateLabels, validateStore } from './store.js';
import { DEFAULT_TUNNELS, type ArpGuard, type Config, type Mode, type VipConfig } from './types.js';

// Turns parsed YAML into a Config, or throws a ConfigError naming the key path and value.
export function validateConfig(raw: unknown, source: string): Config {
  const fail = (path: string, detail: string): never => {
    throw new ConfigError(source, path, detail);
  };
  if (raw === null || raw === undefined) fail('', 'the file is empty; it needs at least "vips:"');
  const top = expectMapping(raw, '', fail, [
    'mode',
    'vips',
    'interfaces',
    'arp',
    'tunnel',
    'drift',
    'metrics',
    'drain',
    'health',
    'source',
    'host',
    'labels',
  ]);

  const mode = top.mode === undefined ? 'dr' : validateMode(top.mode, 'mode', fail);
  // With a store the VIPs may all come from it; a file alone must name some.
  const store = validateStore(top.source, fail);
  const missing = top.vips === undefined || top.vips === null;
  if (missing && !store)
    fail('vips', 'is required: list the VIPs this real server serves (or name a store under source:)');
  if (!missing && !Array.isArray(top.vips)) fail('vips', `must be a list of addresses, not ${show(top.vips)}`);
  const list = missing ? [] : (top.vips as unknown[]);
  if (list.length === 0 && !missing) fail('vips', 'is empty: list at least one VIP');

  const vips: VipConfig[] = [];
  const seen = new Map<string, string>();
  list.forEach((entry, i) => {
    const vip = validateVip(entry, `vips[${i}]`, mode, fail);
    const earlier = seen.get(vip.address);
    if (earlier !== undefined) fail(`vips[${i}]`, `${show(entryAddress(entry))} is the same VIP as ${earlier}`);
    seen.set(vip.address, `vips[${vips.length}]`);
    vips.push(vip);
  });

  const interfaces = validateInterfaces(top.interfaces, fail);
  return {
    file: source,
    vips,
    interfaces,
    arp: validateArp(top.arp, fail),
    tunnel: validateTunnel(top.tunnel, interfaces ?? [], fail),
    drift: validateDrift(top.drift, fail),
    metrics: validateMetrics(top.metrics, fail),
    drain: validateDrain(top.drain, fail),
    health: validateHealth(
      top.health,
      vips.map((v) => v.address),
      fail,
    ),
    store,
    host: validateHost(top.host, store !== null, fail),
    labels: validateLabels(top.labels, fail),
  };
}

function validateVip(entry: unknown, path: string, defaultMode: Mode, fail: Fail): VipConfig {
  let text: unknown = entry;
  let mode = defaultMode;
  let addressPath = path;
  if (isObject(entry)) {
    const vip = expectMapping(entry, path, fail, ['address', 'mode', 'encap', 'port']);
    if (vip.address === undefined) fail(`${path}.address`, 'is required');
    text = vip.address;
    addressPath = `${path}.address`;
    if (vip.mode !== undefined) mode = validateMode(vip.mode, `${path}.mode`, fail);
  }
  if (typeof text !== 'string') fail(addressPath, `${show(text)} is not an IP address (write it as text)`);
  const parsed = parseVipAddress((text as string).trim());
  if (typeof parsed === 'string') fail(addressPath, `${show(text)} ${parsed}`);
  const ok = parsed as Exclude<typeof parsed, string>;
  const encap = isObject(entry) ? validateEncap(entry, path, mode, fail) : {};
  return { address: ok.address, family: ok.family, mode, ...encap };
}

// A TUN VIP's encapsulation (default ipip) and, for GUE, its UDP port. Both describe
// how the director tunnels, so on a DR VIP they are a mistake, not something to ignore.
function validateEncap(
  vip: Record<string, unknown>,
  path: string,
  mode: Mode,
  fail: Fail,
): Pick<VipConfig, 'encap' | 'port'> {
  if (vip.encap === undefined && vip.port === undefined) return {};
  if (mode !== 'tun') {
    const key = vip.encap !== undefined ? 'encap' : 'port';
    return fail(`${path}.${key}`, `${show(vip[key])} applies to TUN VIPs only; this VIP is ${mode}`);
  }
  const encap = vip.encap ?? 'ipip';
  if (encap !== 'ipip' && encap !== 'gue' && encap !== 'gre') {
    return fail(
      `${path}.encap`,
      `${show(encap)} is not an encapsulation; use ipip, gue or gre (as ipvsadm --tun-type)`,
    );
  }
  if (encap !== 'gue') {
    if (vip.port !== undefined)
      fail(`${path}.port`, `${show(vip.port)}: a port applies to encap gue only; this VIP is ${encap}`);
    return { encap };
  }
  const port = vip.port;
  if (port === undefined)
    return fail(`${path}.port`, 'is required with encap gue: the UDP port the director sends to (ipvsadm --tun-port)');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return fail(`${path}.port`, `${show(port)} is not a UDP port (1-65535)`);
  }
  return { encap, port };
}

function entryAddress(entry: unknown): unknown {
  return isObject(entry) ? entry.address : entry;
}

export function validateMode(value: unknown, path: string, fail: Fail): Mode {
  if (value === 'dr' || value === 'tun') return value;
  if (typeof value === 'string' && value.toLowerCase() === 'nat') {
    fail(
      path,
      `${show(value)} is not a mode for rs-agent: in LVS-NAT the director rewrites addresses and real servers need no VIP, no ARP settings and no agent`,
    );
  }
  const encap =
    typeof value === 'string' && ['ipip', 'gue', 'gre'].includes(value.toLowerCase()) ? value.toLowerCase() : null;
  const hint = encap ? ` (${encap} is how a TUN VIP is tunnelled: mode: tun, encap: ${encap})` : '';
  return fail(path, `${show(value)} is not a mode; use dr or tun${hint}`);
}

function validateInterfaces(value: unknown, fail: Fail): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) return fail('interfaces', `must be a list of interface names, not ${show(value)}`);
  const names: string[] = [];
  value.forEach((name: unknown, i) => {
    const path = `interfaces[${i}]`;
    if (typeof name !== 'string') fail(path, `${show(name)} is not an interface name`);
    const text = name as string;
    const problem = interfaceNameProblem(text);
    if (problem) fail(path, `${show(text)} ${problem}`);
    if (['lo', 'all', 'default'].includes(text)) fail(path, `${show(text)} is always configured; list only NICs`);
    if (names.includes(text)) fail(path, `${show(text)} is listed twice`);
    names.push(text);
  });
  return names;
}

function validateArp(value: unknown, fail: Fail): Config['arp'] {
  const arp =
    value === undefined || value === null ? {} : expectMapping(value, 'arp', fail, ['ignore', 'announce', 'guard']);
  const ignore = arp.ignore ?? 1;
  const announce = arp.announce ?? 2;
  // 0 would let the host answer ARP for the VIP: the one thing rs-agent exists to prevent.
  if (ignore !== 1 && ignore !== 2)
    fail('arp.ignore', `${show(ignore)} must be 1 or 2 (0 answers ARP for the VIP on every NIC)`);
  if (announce !== 2)
    fail('arp.announce', `${show(announce)} must be 2 (lower values can announce the VIP as ARP source)`);
  const guard = arp.guard ?? 'auto';
  if (guard !== 'auto' && guard !== 'nftables' && guard !== 'off') {
    fail('arp.guard', `${show(guard)} must be auto, nftables or off`);
  }
  return { ignore: ignore as number, announce: announce as number, guard: guard as ArpGuard };
}

// The tunnel devices TUN VIPs go on, per family. The defaults are the fallback devices
// the ipip and ip6_tunnel modules create; another name must be a tunnel device of the
// right kind that already exists (checked against the host when planning).
function validateTunnel(value: unknown, nics: string[], fail: Fail): Config['tunnel'] {
  const tunnel =
    value === undefined || value === null ? {} : expectMapping(value, 'tunnel', fail, ['ipv4', 'ipv6', 'mss']);
  const names: Config['tunnel'] = { ...DEFAULT_TUNNELS, mss: validateMss(tunnel.mss, fail) };
  for (const family of ['ipv4', 'ipv6'] as const) {
    const name = tunnel[family];
    if (name === undefined || name === null) continue;
    const path = `tunnel.${family}`;
    if (typeof name !== 'string') fail(path, `${show(name)} is not an interface name`);
    const problem = interfaceNameProblem(name as string);
    if (problem) fail(path, `${show(name)} ${problem}`);
    const other = family === 'ipv4' ? DEFAULT_TUNNELS.ipv6 : DEFAULT_TUNNELS.ipv4;
    if (['lo', 'all', 'default', other].includes(name as string) || nics.includes(name as string)) {
      fail(path, `${show(name)} cannot carry ${family === 'ipv4' ? 'IPv4-in-IPv4' : 'IPv6-in-IPv6'} tunnel VIPs`);
    }
    names[family] = name as string;
  }
  if (names.ipv4 === names.ipv6)
    fail('tunnel.ipv6', `${show(names.ipv6)} is also tunnel.ipv4; one device cannot be both`);
  return names;
}
