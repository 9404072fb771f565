// What must hold in a working LVS cluster, as functions of the observations. Each returns the
// list of violations (empty: the property holds), so a failing test prints what went wrong,
// and the negative control can assert that the same function does find violations.

export interface Requests {
  sent: number;
  answered: number;
  by: Record<string, number>;
}
// The MACs that answered "who has the VIP?": ARP (arping) or IPv6 neighbour discovery (ndisc6).
export interface Responders {
  macs: string[];
}
export interface ArpCapture {
  requests: number;
  replies: Record<string, number>;
}
export interface Neigh {
  lladdr: string | null;
  state: string[] | null;
}

// Every request answered, each real server answered some, nobody else answered.
export function requestsServedByAll(r: Requests, realServers: string[]): string[] {
  const problems: string[] = [];
  if (r.sent === 0) problems.push('no requests were sent');
  if (r.answered !== r.sent) problems.push(`${r.sent - r.answered} of ${r.sent} requests unanswered`);
  for (const rs of realServers) if (!r.by[rs]) problems.push(`${rs} answered none`);
  for (const name of Object.keys(r.by)) if (!realServers.includes(name)) problems.push(`answered by ${name}`);
  return problems;
}

// arping -b / ndisc6 -m heard exactly one MAC for the VIP, the director's.
export function answeredOnlyBy(a: Responders, directorMac: string, protocol: 'ARP' | 'ND'): string[] {
  if (a.macs.length === 1 && a.macs[0] === directorMac) return [];
  return [`${protocol} for the VIP answered by [${a.macs.join(', ')}], expected only the director ${directorMac}`];
}

// The client will send VIP traffic to the director.
export function neighIsDirector(n: Neigh, directorMac: string): string[] {
  if (n.lladdr === directorMac) return [];
  return [`client's neighbour entry for the VIP is ${n.lladdr ?? 'missing'}, expected the director ${directorMac}`];
}

// The capture must have seen the client asking and the director answering (else it proves
// nothing), and no ARP reply for the VIP from a real server.
export function noRealServerArpReply(c: ArpCapture, directorMac: string, rsMacs: Record<string, string>): string[] {
  const problems: string[] = [];
  if (c.requests === 0) problems.push('the capture saw no ARP request for the VIP: the client was not asking');
  if (!c.replies[directorMac]) problems.push('the capture saw no ARP reply from the director: it was not listening');
  for (const [rs, mac] of Object.entries(rsMacs)) {
    const n = c.replies[mac] ?? 0;
    if (n > 0) problems.push(`${rs} (${mac}) answered ARP for the VIP ${n} times`);
  }
  return problems;
}

export interface VipAddress {
  dev: string;
  prefixlen: number;
  nodad: boolean;
  deprecated: boolean;
  noprefixroute: boolean;
  preferred_life_time: number;
}
export interface Route {
  dst: string;
  dev: string;
  table?: string;
  type?: string;
}

// An IPv6 VIP as rs-agent gives it: one /128 on DEV that never does duplicate address
// detection, is never picked as a source (deprecated: preferred lifetime 0) and brings no
// kernel prefix route, plus exactly one route for it in the main table (rs-agent's, via DEV).
// (The local table's route is the kernel's, for any local address.)
export function vip6AsDesigned(addrs: VipAddress[], routes: Route[], vip: string, dev: string): string[] {
  const problems: string[] = [];
  if (addrs.length !== 1)
    problems.push(`${addrs.length} VIP addresses (${addrs.map((a) => a.dev).join(', ')}), expected one on ${dev}`);
  for (const a of addrs) {
    if (a.dev !== dev) problems.push(`VIP on ${a.dev}, expected ${dev}`);
    if (a.prefixlen !== 128) problems.push(`VIP prefix /${a.prefixlen}, expected /128`);
    if (!a.nodad) problems.push('VIP without nodad');
    if (!a.deprecated || a.preferred_life_time !== 0)
      problems.push(`VIP preferred lifetime ${a.preferred_life_time}, expected 0 (deprecated)`);
    if (!a.noprefixroute) problems.push('VIP without noprefixroute');
  }
  const main = routes.filter((r) => r.table === undefined);
  if (main.length !== 1 || main[0]!.dev !== dev || (main[0]!.dst !== vip && main[0]!.dst !== `${vip}/128`)) {
    problems.push(`main-table routes for the VIP: ${JSON.stringify(main)}, expected one, ${vip} dev ${dev}`);
  }
  return problems;
}

// The VIP where an encapsulation mode puts it: one address on DEV, DEV up.
export function vipOnDevice(addrs: VipAddress[], tunnelsUp: Record<string, boolean>, dev: string): string[] {
  const problems: string[] = [];
  if (addrs.length !== 1 || addrs[0]!.dev !== dev)
    problems.push(`VIP on [${addrs.map((a) => a.dev).join(', ')}], expected only on ${dev}`);
  if (tunnelsUp[dev] !== true) problems.push(`${dev} is not up`);
  return problems;
}

// Tunnelled packets seen on the switch, counted per outer "source>destination".
export interface Tunnelled {
  outer: Record<string, number>;
}

// Every tunnelled packet came from SOURCE, and each real server received some.
export function tunnelledFrom(t: Tunnelled, source: string, realServerIps: string[]): string[] {
  const problems: string[] = [];
  const pairs = Object.keys(t.outer).map((k) => k.split('>') as [string, string]);
  if (pairs.length === 0) problems.push('no tunnelled packet seen');
  for (const [src, dst] of pairs)
    if (src !== source) problems.push(`tunnelled packets ${src} > ${dst}: outer source is not ${source}`);
  for (const ip of realServerIps)
    if (!pairs.some(([, dst]) => dst === ip)) problems.push(`no tunnelled packet to ${ip}`);
  return problems;
}
