// What must hold in a working LVS cluster, as functions of the observations. Each returns the
// list of violations (empty: the property holds), so a failing test prints what went wrong,
// and the negative control can assert that the same function does find violations.

export interface Requests { sent: number; answered: number; by: Record<string, number> }
export interface Arping { macs: string[] }
export interface ArpCapture { requests: number; replies: Record<string, number> }
export interface Neigh { lladdr: string | null; state: string[] | null }

// Every request answered, each real server answered some, nobody else answered.
export function requestsServedByAll(r: Requests, realServers: string[]): string[] {
  const problems: string[] = [];
  if (r.sent === 0) problems.push('no requests were sent');
  if (r.answered !== r.sent) problems.push(`${r.sent - r.answered} of ${r.sent} requests unanswered`);
  for (const rs of realServers) if (!r.by[rs]) problems.push(`${rs} answered none`);
  for (const name of Object.keys(r.by)) if (!realServers.includes(name)) problems.push(`answered by ${name}`);
  return problems;
}

// arping -b heard exactly one MAC for the VIP, the director's.
export function arpAnsweredOnlyBy(a: Arping, directorMac: string): string[] {
  if (a.macs.length === 1 && a.macs[0] === directorMac) return [];
  return [`ARP for the VIP answered by [${a.macs.join(', ')}], expected only the director ${directorMac}`];
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
