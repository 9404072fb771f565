import { randomBytes } from 'node:crypto';

// What one host writes under <prefix>status/<host>, as JSON, under a lease: a host
// that dies stops renewing it and its status expires. Plain data, read by `fleet status`.
export interface HostStatus {
  host: string;
  labels: Record<string, string>;
  version: string;
  inSync: boolean;
  revision: number; // the store revision whose desired state is applied
  vips: number; // VIPs from the store in force
  repairs: number; // drift repaired since the agent started
  drift: number; // changes the last pass found
  held: string[]; // items the last pass held back (the flap backoff, or what they need is missing)
  wipeHeld: boolean; // the store would leave this host with no VIP: refused (see wipe.ts)
  errors: string[]; // refused store documents, unavailable items
  lastError: string | null;
  lastOutage: { from: string; to: string } | null; // the last time the store was unreachable from this host
  updatedAt: string;
  heartbeatS: number; // rewritten at least this often
  // This agent process: a random id made when it started. Two hosts given one host name (a
  // cloned image keeps the system host name) write one status key with two ids.
  instance?: string;
  // Another agent's id found under this status key between two of this agent's writes.
  duplicate?: string | null;
  // Agents before the fleet's drain wrote none of these three.
  drain?: 'pooled' | 'draining' | 'drained'; // the operator's drain or the store's, as the health endpoint says
  drainRefused?: string | null; // why the store's drain/<host> is not in force ("drain refused: budget ...")
  connections?: number; // open connections to the VIPs
}

let instance: string | null = null;

// This process's id, the same for every status it writes and in its log.
export function agentInstance(): string {
  instance ??= randomBytes(4).toString('hex');
  return instance;
}
