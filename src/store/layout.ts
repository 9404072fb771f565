// The fleet's keys in etcd, under one prefix (default /rs-agent/):
//
//   <prefix>groups/<name>       {selector: {label: value, ...}, mode, vips}: every host whose
//                               labels match the selector (all of them; none = every host)
//   <prefix>hosts/<host>        {mode, vips}: this host's own additions
//   <prefix>allow-empty/<host>  present: this host may be left with no VIP (see wipe.ts);
//   <prefix>allow-empty/all     the same for every host
//   <prefix>drain/<host>        present: drain this host (empty, or {"reason": "..."}; drain-keys.ts)
//   <prefix>drain-budget/<group>  "N" or "N%": at most that many hosts of groups/<group> drained
//                               by the store at once
//   <prefix>drain-active/<group>/<host>  a slot of that budget, held by the draining agent
//                               under its lease (drain-slots.ts)
//   <prefix>status/<host>       written by the agent under a lease (JSON; see status-record.ts)
//   <prefix>tracked/<host>      {"host", "seenAt"}: written with every status, without a lease, so
//                               a host whose lease expired (dead, cut off) is still listed, as down
//
// Pure: names and matching, no client.

export type KeyKind = 'group' | 'host' | 'allow-empty' | 'drain' | 'drain-budget' | 'status' | 'tracked';

export interface ParsedKey {
  kind: KeyKind;
  name: string; // the group's name or the host's
}

const KINDS: Record<string, KeyKind> = {
  groups: 'group',
  hosts: 'host',
  'allow-empty': 'allow-empty',
  drain: 'drain',
  'drain-budget': 'drain-budget',
  status: 'status',
  tracked: 'tracked',
};

export function parseKey(prefix: string, key: string): ParsedKey | null {
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return null;
  const kind = KINDS[rest.slice(0, slash)];
  const name = rest.slice(slash + 1);
  if (!kind || name.includes('/')) return null;
  return { kind, name };
}

export function hostKey(prefix: string, host: string): string {
  return `${prefix}hosts/${host}`;
}

export function statusKey(prefix: string, host: string): string {
  return `${prefix}status/${host}`;
}

export function drainKey(prefix: string, host: string): string {
  return `${prefix}drain/${host}`;
}

export function drainBudgetKey(prefix: string, group: string): string {
  return `${prefix}drain-budget/${group}`;
}

// The slots of one group's budget: one key per draining host. Sorts before status/, so
// every agent's watch sees a slot freed.
export function drainActiveRange(prefix: string, group: string): { start: string; end: string } {
  return { start: `${prefix}drain-active/${group}/`, end: `${prefix}drain-active/${group}0` };
}

export function drainActiveKey(prefix: string, group: string, host: string): string {
  return `${drainActiveRange(prefix, group).start}${host}`;
}

// Sorts after status/, so outside what agents watch (desiredRange).
export function trackedKey(prefix: string, host: string): string {
  return `${prefix}tracked/${host}`;
}

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// What an agent reads and watches: every key under the prefix that sorts before
// status/ (allow-empty/, drain/, drain-active/, drain-budget/, groups/, hosts/). Status writes, which every agent makes,
// then never fan out to every agent's watch.
export function desiredRange(prefix: string): { start: string; end: string } {
  return { start: prefix, end: `${prefix}status/` };
}
