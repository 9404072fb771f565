import { desiredConfig, snapshot, type AgentOptions } from './agent.js';
import { readDaemonStatus } from './daemon/status-file.js';
import type { DaemonStats } from './daemon/stats.js';
import { readDrain, type DrainState } from './drain/record.js';
import { healthAnswer, type HealthAnswer } from './health/answer.js';
import { checkService, endpointText } from './health/service-check.js';
import type { KeptProtection } from './model/change.js';
import { addressKey, fouKey, routeKey } from './model/host.js';
import { sysctlKey } from './model/sysctl-path.js';
import { presentAddresses } from './objects/address.js';
import type { DesiredFou } from './objects/fou.js';
import { guardApplies } from './objects/nft/arp-guard.js';
import { desiredMss } from './objects/nft/mss-clamp.js';
import { resolveMss } from './objects/nft/mss-value.js';
import type { DesiredSysctl } from './objects/sysctl.js';
import type { NftTableState } from './observe/types.js';
import { statePath } from './state/state-file.js';
import { passTraffic, type TrafficSample } from './traffic/sample.js';
import { verdictOf } from './verdict.js';

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
  drain: DrainState | null; // null: not drained
  // What the health endpoint answers from what this status saw (rs-agent run serves it).
  health: { listen: string | null; agent: string | null; answer: HealthAnswer };
  traffic: TrafficSample;
  daemon: DaemonStats | null; // the last report of `rs-agent run`; null if it never ran here
}

// Which ARP guard applies: the setting, whether nft works here, the table's state.
export interface ArpGuardStatus {
  setting: string; // auto | nftables | off
  applies: boolean;
  reason?: string; // why not, when nft or nf_tables is missing
  table: 'present' | 'flushed' | 'altered' | 'absent' | 'unknown';
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
  const ownedAddresses = new Set(snap.owned.address.map(addressKey));
  const clamps = resolveMss(desiredMss(snap.desired.placement), snap.actual.links, snap.actual.routes);
  const mss = snap.actual.nft?.['inet rs_agent'];
  const mssTable = mss?.table;
  const loaded = new Set(mssTable?.state === 'intact' ? mssTable.holds : []);
  const mssOf = new Map(clamps.map((c) => [c.address, c.mss]));
  const vips = snap.desired.placement.vips.map((a): VipStatus => ({
    address: a.address,
    mode: a.mode,
    dev: a.dev,
    addressPresent: present.has(addressKey(a)),
    routePresent: routes.has(routeKey({ dst: a.address, prefixlen: a.prefixlen, dev: a.dev })),
    owned: ownedAddresses.has(addressKey(a)),
    ...(mssOf.has(a.address) ? { mss: mssOf.get(a.address) } : {}),
  }));
  const desiredValues = new Map((snap.desired.parts.sysctl as DesiredSysctl[]).map((s) => [s.path, s.value]));
  const paths = [...new Set([...desiredValues.keys(), ...Object.keys(snap.owned.sysctl)])];
  const sysctls = paths.map((path): SysctlStatus => ({
    key: sysctlKey(path),
    actual: snap.actual.sysctls[path] ?? null,
    desired: desiredValues.get(path) ?? null,
    original: snap.owned.sysctl[path]?.original ?? null,
  }));
  const linkNames = [...new Set([...(snap.desired.parts.link as string[]), ...snap.owned.link])];
  const verdict = verdictOf(snap);
  const guard = snap.actual.nft?.['arp rs_agent'];
  const drain = readDrain(config.drain.file);
  const h = config.health;
  const service = h.check ? await checkService(h.check, h.checkTimeoutMs) : null;
  return {
    config: config.file,
    stateFile: statePath(opts.stateDir),
    inSync: verdict.inSync,
    drift: snap.changes.length + snap.conflicts.length + snap.problems.length,
    problems: snap.problems.map((p) => p.message),
    vips,
    sysctls,
    links: linkNames.map((dev) => ({
      dev,
      up: snap.actual.links.find((l) => l.name === dev)?.up ?? false,
      ownedByAgent: snap.owned.link.includes(dev),
    })),
    fou: [
      ...new Map([...(snap.desired.parts.fou as DesiredFou[]), ...snap.owned.fou].map((f) => [fouKey(f), f])).values(),
    ].map((f) => ({
      listener: fouKey(f),
      present: (snap.actual.fou ?? []).some((a) => a.kind === 'gue' && fouKey(a) === fouKey(f)),
      ownedByAgent: snap.owned.fou.some((o) => fouKey(o) === fouKey(f)),
    })),
    owned: {
      addresses: snap.owned.address.length,
      routes: snap.owned.route.length,
      sysctls: Object.keys(snap.owned.sysctl).length,
      links: snap.owned.link,
      modules: snap.owned.module,
    },
    arpGuard: {
      setting: config.arp.guard,
      applies: guardApplies(config.arp.guard, guard),
      ...(guard?.reason ? { reason: guard.reason } : {}),
      table: tableStatus(guard?.table, 'altered'),
      elements: guard?.table?.holds ?? [],
      owned: snap.owned.nft.includes('arp rs_agent'),
    },
    mssClamp: {
      setting: { ipv4: String(config.tunnel.mss.ipv4), ipv6: String(config.tunnel.mss.ipv6) },
      available: mss?.available ?? null,
      ...(mss?.reason ? { reason: mss.reason } : {}),
      table: tableStatus(mssTable, undefined),
      owned: snap.owned.nft.includes('inet rs_agent'),
      clamps: clamps.map((c) => ({
        address: c.address,
        mss: c.mss,
        inForce: loaded.has(`${c.address} ${c.mss}`),
        why: c.why,
      })),
    },
    kept: snap.kept,
    drain,
    health: {
      listen: h.listen ? endpointText(h.listen.address, h.listen.port) : null,
      agent: h.agent ? endpointText(h.agent.address, h.agent.port) : null,
      answer: healthAnswer({ verdict, drain }, service, h.agentWeight),
    },
    traffic: passTraffic(snap),
    daemon: readDaemonStatus(opts.stateDir),
  };
}

// A table as status shows it: undefined when it was not looked at. A guard that is not
// intact reads as altered, flushed or not.
function tableStatus(
  table: NftTableState | null | undefined,
  notIntact: 'altered' | undefined,
): 'present' | 'flushed' | 'altered' | 'absent' | 'unknown' {
  if (table === undefined) return 'unknown';
  if (table === null) return 'absent';
  if (table.state === 'intact') return 'present';
  return notIntact ?? table.state;
}
