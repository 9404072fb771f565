import { desiredConfig, snapshot, type AgentOptions } from './agent.js';
import { readDaemonStatus } from './daemon/status-file.js';
import type { DaemonStats } from './daemon/stats.js';
import { addressKey, presentAddresses } from './plan/address.js';
import { fouKey } from './plan/fou.js';
import { routeKey } from './plan/route.js';
import { resolveMss } from './plan/mss.js';
import { guardApplies } from './plan/nft.js';
import { sysctlKey } from './plan/sysctl.js';
import type { KeptProtection } from './plan/types.js';
import { statePath } from './state/state-file.js';

export interface VipStatus {
  address: string;
  mode: string;
  dev: string;
  addressPresent: boolean;
  routePresent: boolean;
  owned: boolean; // added by rs-agent (removed by stop)
  mss?: number; // TUN VIPs: the most their SYN-ACKs advertise (see mssClamp)
}

export interface SysctlStatus {
  key: string;
  actual: string | null;
  desired: string | null; // null: no longer wanted, still to restore
  original: string | null; // recorded before rs-agent first changed it
}

export interface StatusReport {
  config: string;
  stateFile: string;
  inSync: boolean;
  drift: number;
  problems: string[]; // what cannot be put in place now (a configured NIC missing)
  vips: VipStatus[];
  sysctls: SysctlStatus[];
  links: { dev: string; up: boolean; ownedByAgent: boolean }[];
  fou: { listener: string; present: boolean; ownedByAgent: boolean }[]; // GUE listeners, as ip fou show names them
  owned: { addresses: number; routes: number; sysctls: number; links: string[]; modules: string[] };
  arpGuard: ArpGuardStatus;
  mssClamp: MssStatus;
  kept: KeptProtection[]; // protection left in force for addresses that still need it
  daemon: DaemonStats | null; // the last report of `rs-agent run`; null if it never ran here
}

// Which ARP guard applies: the setting, whether nft works here, the table's state.
export interface ArpGuardStatus {
  setting: string; // auto | nftables | off
  applies: boolean;
  reason?: string; // why not, when nft or nf_tables is missing
  table: 'present' | 'altered' | 'absent' | 'unknown';
  elements: string[];
  owned: boolean;
}

// The TUN VIPs' MSS clamp: the settings, whether nft works here, the table's state,
// and each VIP's value (in force: the table holds exactly it).
export interface MssStatus {
  setting: { ipv4: string; ipv6: string };
  available: boolean | null; // null: not looked at (nothing to clamp, none loaded)
  reason?: string;
  table: 'present' | 'flushed' | 'altered' | 'absent' | 'unknown';
  owned: boolean;
  clamps: { address: string; mss: number; inForce: boolean; why: string }[];
}

// What is configured, what is in place, what rs-agent recorded. Reads only.
export async function status(opts: AgentOptions): Promise<StatusReport> {
  const config = await desiredConfig(opts);
  const snap = await snapshot(opts, config);
  const present = new Set(presentAddresses(snap.actual.links).map(addressKey));
  const routes = new Set(snap.actual.routes.map(routeKey));
  const ownedAddresses = new Set(snap.owned.addresses.map(addressKey));
  const modes = new Map(config.vips.map((v) => [v.address, v.mode]));
  const clamps = resolveMss(snap.desired.mss, snap.actual.links, snap.actual.routes);
  const mssTable = snap.actual.mss?.table;
  const loaded = new Set(mssTable?.state === 'intact' ? mssTable.clamps.map((c) => `${c.address} ${c.mss}`) : []);
  const mssOf = new Map(clamps.map((c) => [c.address, c.mss]));
  const vips = snap.desired.addresses.map((a): VipStatus => ({
    address: a.address,
    mode: modes.get(a.address) ?? 'dr',
    dev: a.dev,
    addressPresent: present.has(addressKey(a)),
    routePresent: routes.has(routeKey({ dst: a.address, prefixlen: a.prefixlen, family: a.family, dev: a.dev })),
    owned: ownedAddresses.has(addressKey(a)),
    ...(mssOf.has(a.address) ? { mss: mssOf.get(a.address) } : {}),
  }));
  const desiredValues = new Map(snap.desired.sysctls.map((s) => [s.path, s.value]));
  const paths = [...new Set([...desiredValues.keys(), ...Object.keys(snap.owned.sysctls)])];
  const sysctls = paths.map((path): SysctlStatus => ({
    key: sysctlKey(path),
    actual: snap.actual.sysctls[path] ?? null,
    desired: desiredValues.get(path) ?? null,
    original: snap.owned.sysctls[path]?.original ?? null,
  }));
  const linkNames = [...new Set([...snap.desired.links, ...snap.owned.links])];
  return {
    config: config.source,
    stateFile: statePath(opts.stateDir),
    inSync: snap.changes.length + snap.conflicts.length + snap.problems.length === 0,
    drift: snap.changes.length + snap.conflicts.length + snap.problems.length,
    problems: snap.problems.map((p) => p.message),
    vips,
    sysctls,
    links: linkNames.map((dev) => ({
      dev,
      up: snap.actual.links.find((l) => l.name === dev)?.up ?? false,
      ownedByAgent: snap.owned.links.includes(dev),
    })),
    fou: [...new Map([...snap.desired.fou, ...snap.owned.fou].map((f) => [fouKey(f), f])).values()].map((f) => ({
      listener: fouKey(f),
      present: (snap.actual.fou ?? []).some((a) => a.kind === 'gue' && fouKey(a) === fouKey(f)),
      ownedByAgent: snap.owned.fou.some((o) => fouKey(o) === fouKey(f)),
    })),
    owned: {
      addresses: snap.owned.addresses.length,
      routes: snap.owned.routes.length,
      sysctls: Object.keys(snap.owned.sysctls).length,
      links: snap.owned.links,
      modules: snap.owned.modules,
    },
    arpGuard: {
      setting: config.arp.guard,
      applies: guardApplies(config.arp.guard, snap.actual.nft),
      ...(snap.actual.nft?.reason ? { reason: snap.actual.nft.reason } : {}),
      table:
        snap.actual.nft === undefined
          ? 'unknown'
          : snap.actual.nft.table === null
            ? 'absent'
            : snap.actual.nft.table.intact
              ? 'present'
              : 'altered',
      elements: snap.actual.nft?.table?.elements ?? [],
      owned: snap.owned.nft === true,
    },
    mssClamp: {
      setting: { ipv4: String(config.tunnel.mss.ipv4), ipv6: String(config.tunnel.mss.ipv6) },
      available: snap.actual.mss?.available ?? null,
      ...(snap.actual.mss?.reason ? { reason: snap.actual.mss.reason } : {}),
      table:
        mssTable === undefined
          ? 'unknown'
          : mssTable === null
            ? 'absent'
            : mssTable.state === 'intact'
              ? 'present'
              : mssTable.state,
      owned: snap.owned.mss === true,
      clamps: clamps.map((c) => ({
        address: c.address,
        mss: c.mss,
        inForce: loaded.has(`${c.address} ${c.mss}`),
        why: c.why,
      })),
    },
    kept: snap.kept,
    daemon: readDaemonStatus(opts.stateDir),
  };
}
