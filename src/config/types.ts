import type { Family } from './address.js';
import type { MssConfig } from './mss.js';
import type { StoreCredentials } from './store-credentials.js';

export type Mode = 'dr' | 'tun';

// How the director wraps a TUN VIP's packets (ipvsadm --tun-type): plain IP-in-IP,
// IP-in-IP inside UDP with a GUE header (--tun-port), or GRE.
export type Encap = 'ipip' | 'gue' | 'gre';

export interface VipConfig {
  address: string; // canonical text, no prefix
  family: Family;
  mode: Mode; // the top-level mode unless the VIP names its own
  encap?: Encap; // TUN only; absent: ipip
  port?: number; // GUE only: the UDP port the director sends to
}

// A validated configuration: every field present, defaults filled in.
export interface Config {
  file: string; // the config file it was read from, for messages
  vips: VipConfig[];
  interfaces: string[] | null; // null: every ethernet NIC
  arp: { ignore: number; announce: number; guard: ArpGuard };
  // Devices that carry TUN VIPs, per family; the MSS their SYN-ACKs advertise at most.
  tunnel: { ipv4: string; ipv6: string; mss: MssConfig };
  drift: DriftConfig;
  metrics: { file: string | null }; // Prometheus text file written by `rs-agent run`; null: none
  drain: DrainConfig; // how `rs-agent drain` waits, where the drain is recorded
  health: HealthConfig; // the endpoints `rs-agent run` serves the director
  store: StoreConfig | null; // a fleet's store of desired state (src/store/); null: the file alone
  host: string; // this host's name in the store (default: the host name)
  labels: Record<string, string>; // matched by the store's selectors
  // Set when the store neither answered nor left a cache: why this host's desired state is
  // unknown. Reported as a problem by every pass, so nothing calls the host in sync.
  storeUnknown?: string;
}

// An etcd cluster holding the fleet's desired state under a prefix (see src/store/).
export interface StoreConfig {
  endpoints: string[]; // all https://, or all http:// with insecure
  insecure: boolean; // http:// endpoints allowed: plaintext, on a network the operator trusts
  prefix: string; // ends with '/'
  tls: { ca: string; cert: string | null; key: string | null } | null; // PEM file paths
  auth: { file: string } | null; // etcd user and password, from a file readable by root alone
  // The files above, read and checked when the config loaded (config/store-files.ts);
  // absent when the config was only parsed.
  credentials?: StoreCredentials;
  cache: string; // the last validated desired state, kept on disk for when the store is away
  statusTtlS: number; // the lease under which this host's status lives
  heartbeatS: number; // status is rewritten at least this often; older is shown as stale
}

// The nftables ARP guard: auto (where nft and nf_tables work), nftables (required), off.
export type ArpGuard = 'auto' | 'nftables' | 'off';

// How `rs-agent run` keeps the host converged (see src/daemon/).
export interface DriftConfig {
  schedule: string; // cron expression (node-cron; 6 fields start with seconds) for the full reconcile
  sysctlIntervalMs: number; // how often the sysctl files rs-agent sets are re-read
  // How often while the ARP guard is in force (loaded as planned, and nft monitor listening):
  // a reset ARP sysctl then exposes nothing, and the guard's own loss is an event.
  sysctlGuardedIntervalMs: number;
  flap: FlapConfig;
}

// Someone else keeps undoing an item: more than maxRepairs repairs within windowMs,
// then rs-agent stops repairing it for backoffMs, doubling up to maxBackoffMs.
export interface FlapConfig {
  maxRepairs: number;
  windowMs: number;
  backoffMs: number;
  maxBackoffMs: number;
}

// The fallback devices of the ipip and ip6_tunnel modules: each receives every
// tunnelled packet that no more specific tunnel claims.
export const DEFAULT_TUNNELS = { ipv4: 'tunl0', ipv6: 'ip6tnl0' } as const;

export const DEFAULT_CONFIG_PATH = '/etc/rs-agent/rs-agent.yaml';

// The `drain:` and `health:` sections (config/drain.ts validates them).
export interface DrainConfig {
  quietMs: number; // no new connection to a VIP for this long (the director has noticed)
  timeoutMs: number; // how long drain waits by default
  onStop: boolean; // stop (the unit's ExecStop) drains first
  file: string; // the drain record: on disk, so a drain outlives a reboot
}

export interface Endpoint {
  address: string; // canonical
  port: number;
}

// The local service the health endpoint also vouches for: an HTTP URL answering 2xx, or
// a TCP address accepting a connection.
export type ServiceCheck = { kind: 'http'; url: string } | { kind: 'tcp'; address: string; port: number };

export interface HealthConfig {
  listen: Endpoint | null; // GET /health
  agent: Endpoint | null; // HAProxy's agent-check protocol
  agentWeight: number | null; // the weight (percent) the agent says with "up"; null: none
  check: ServiceCheck | null;
  checkTimeoutMs: number;
}
