import type { Family } from '../config/address.js';
import type { Encap } from '../config/types.js';

// The desired state, fully resolved: every kernel object rs-agent wants, nothing else.
export interface DesiredState {
  modules: DesiredModule[];
  links: string[]; // devices that must be administratively up
  sysctls: DesiredSysctl[];
  addresses: HostAddress[];
  routes: HostRoute[];
  fou: DesiredFou[]; // GUE listeners (ip fou add port N gue)
  // What the config asks for but this host cannot have now (a configured NIC or a named
  // tunnel device that is not there): reported, never a reason to skip everything else.
  problems: Problem[];
  arpGuard: ArpGuardSetting; // the nftables ARP guard: see plan/nft.ts
  mss: DesiredMss[]; // the TUN VIPs whose SYN-ACKs are clamped: see plan/mss.ts
}

// A TUN VIP's MSS clamp as the config asks for it; auto is resolved when planning,
// against the host's links and routes (the egress MTU).
export interface DesiredMss {
  address: string;
  family: Family;
  encap: Encap;
  setting: number | 'auto';
  dev: string; // the tunnel device the VIP goes on
}

// The most a TUN VIP's SYN-ACKs advertise, resolved.
export interface MssClamp {
  address: string;
  family: Family;
  mss: number;
}

// One thing rs-agent cannot put in place, in the operator's terms.
export interface Problem {
  item: string; // e.g. "interface eth1"
  message: string;
}

// auto: where nft and nf_tables work; nftables: required; off: never;
// none: nothing is desired (stop), the guard stays only while something needs it.
export type ArpGuardSetting = 'auto' | 'nftables' | 'off' | 'none';

export interface DesiredModule {
  name: string; // kernel module, e.g. ipip
  // The fallback device it creates, e.g. tunl0; null for fou, which creates none and
  // is loaded when its generic netlink family answers (ip fou show).
  device: string | null;
}

// A UDP port on which the kernel's fou module takes GUE packets apart and hands the
// inner packet to the IP tunnel's receive path, as if it had come as plain IP-in-IP.
export interface FouListener {
  port: number;
  family: Family; // of the UDP socket: an IPv6 listener does not receive IPv4 packets
}

export interface DesiredFou extends FouListener {
  vips: string[]; // the GUE VIPs it serves, for messages
}

export interface DesiredSysctl {
  path: string; // under /proc/sys, e.g. net/ipv4/conf/all/arp_ignore
  value: string;
}

// An address on a device, always with its full prefix.
export interface HostAddress {
  address: string;
  prefixlen: number;
  family: Family;
  dev: string;
}

// A host route in the main table.
export interface HostRoute {
  dst: string;
  prefixlen: number;
  family: Family;
  dev: string;
}

interface ChangeBase {
  target: string; // what it changes, as an operator names it
  from: string | null; // null: unknown until applied (e.g. a device not created yet)
  to: string | null;
}

export interface ModuleChange extends ChangeBase {
  kind: 'module';
  action: 'load';
  module: string;
  device: string | null;
}

export interface SysctlChange extends ChangeBase {
  kind: 'sysctl';
  action: 'set' | 'restore';
  path: string;
  to: string;
}

export interface LinkChange extends ChangeBase {
  kind: 'link';
  action: 'up' | 'down';
  dev: string;
}

// update: an IPv6 VIP already on its device made deprecated and noprefixroute in place.
export interface AddressChange extends ChangeBase, HostAddress {
  kind: 'address';
  action: 'add' | 'delete' | 'update';
  label?: string;
}

export interface RouteChange extends ChangeBase, HostRoute {
  kind: 'route';
  action: 'add' | 'delete';
}

// rs-agent's own nftables table (family arp): load replaces the whole table in one
// transaction; delete removes it. from/to describe the set's elements (or absent).
export interface NftChange extends ChangeBase {
  kind: 'nft';
  action: 'load' | 'delete';
  table: string; // family and name, e.g. "arp rs_agent"
  elements: string[]; // the VIP set after the change ([] for delete)
  ruleset: string; // the file `nft -f` reads
}

// rs-agent's MSS clamp table (table inet rs_agent): load replaces the whole table in
// one transaction; delete removes it. from/to describe the clamps (or absent).
export interface MssChange extends ChangeBase {
  kind: 'mss';
  action: 'load' | 'delete';
  table: string; // family and name: "inet rs_agent"
  clamps: MssClamp[]; // after the change ([] for delete)
  // The devices the clamped VIPs go on: a load is not attempted when every one of them
  // is missing because its module failed (nothing would be clamped).
  devices: string[];
  ruleset: string; // the file `nft -f` reads
}

// One step of a plan: plain data, printable, serialisable, comparable.
export type Change =
  ModuleChange | SysctlChange | LinkChange | AddressChange | RouteChange | NftChange | FouChange | MssChange;

// Protection a plan keeps although nothing desired asks for it any more: an address
// that still needs it remains (someone else's VIP, one added by hand).
export interface KeptProtection {
  item: string; // e.g. "sysctl net.ipv4.conf.all.arp_ignore", "nft table arp rs_agent"
  now: string;
  original: string | null; // what stop would restore later (null: remove)
  neededBy: string[]; // the addresses, e.g. "192.0.2.20/32 on lo"
}

export interface FouChange extends ChangeBase, FouListener {
  kind: 'fou';
  action: 'add' | 'delete';
}

export type ChangeKind = Change['kind'];
