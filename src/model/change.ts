// What every planned change is, whatever the object it acts on: plain data, printable,
// serialisable, comparable. Each kind of object adds its own fields (src/objects/).

// What a change means for the host's safety. The planner fills it in; one pure
// function (plan/gate.ts) reads it to decide which changes may run, for apply and the
// daemon alike.
export interface Safety {
  // What the change puts in place, or for an undo takes away, as keys other changes
  // name in `needs` (see model/safety-keys.ts).
  provides: string[];
  // Keys, or key prefixes (whole ':'-separated segments), none of which may be blocked
  // (failed, held back, or itself not run) for the change to run.
  needs: string[];
  // Runs only if at least one of these is not blocked (an MSS clamp whose every device failed clamps nothing).
  needsAny?: string[];
  // Keeps the host from answering ARP for a VIP: never held back by the flap backoff, and
  // its repair never waits behind anything else.
  protects?: true;
  // Can make a VIP reachable on the wire (an address, a route, a VIP's device brought up).
  exposes?: true;
}

export interface ChangeBase {
  kind: string;
  action: string;
  target: string; // what it changes, as an operator names it
  from: string | null; // null: unknown until applied (e.g. a device not created yet)
  to: string | null;
  safety: Safety;
}

// What became of a change when a pass ran it.
export type Status = 'applied' | 'failed' | 'skipped';

// One thing rs-agent cannot put in place, in the operator's terms.
export interface Problem {
  item: string; // e.g. "interface eth1"
  message: string;
  // What is missing because of it, as safety keys: what needs them is held back (plan/gate.ts).
  blocks?: string[];
}

// Protection a plan keeps although nothing desired asks for it any more: an address
// that still needs it remains (someone else's VIP, one added by hand).
export interface KeptProtection {
  item: string; // e.g. "sysctl net.ipv4.conf.all.arp_ignore", "nft table arp rs_agent"
  now: string;
  original: string | null; // what stop would restore later (null: remove)
  neededBy: string[]; // the addresses, e.g. "192.0.2.20/32 on lo"
}

// What the flap backoff, the logs and the metrics call the object a change acts on.
export function itemOf(change: Pick<ChangeBase, 'kind' | 'target'>): string {
  return `${change.kind} ${change.target}`;
}
