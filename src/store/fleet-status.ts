import { isHostName } from '../config/store.js';
import { AgentError } from '../errors.js';
import { parseDocument } from './document.js';
import type { StoreView } from './host-desired.js';
import { parseKey, selectorMatches } from './layout.js';
import { parseStatusRecord } from './status-check.js';
import type { HostStatus } from './status-record.js';

export type HostState =
  'in-sync' | 'behind' | 'drift' | 'stale' | 'down' | 'missing' | 'wipe-held' | 'invalid' | 'duplicate';

export interface FleetRow {
  host: string;
  state: HostState;
  inSync: boolean;
  revision: number | null; // the store revision the host has applied
  wanted: number; // the newest revision of a document that concerns it
  vips: number | null;
  updatedAt: string | null; // when its status was written; down: when it was last seen
  errors: string[];
  labels: Record<string, string>;
  lastOutage: HostStatus['lastOutage']; // the last time the store was unreachable from the host
  instance: string | null; // the agent process that wrote the status (a random id made at its start)
  drain: HostStatus['drain'] | null; // pooled, draining or drained; null: not reported
  connections: number | null; // open connections to its VIPs
}

// A status older than this many heartbeats is stale: the agent stopped writing (the
// store was away from it, or it hangs) but its lease has not expired yet (etcd renews
// every lease when a new leader takes over, so a store that was down shows its hosts'
// old statuses until they write again).
const STALE_HEARTBEATS = 2.5;

// The fleet as the store shows it: every host that wrote a status, every host seen
// before whose status lease has expired (down, with when it was last seen), and every
// host a hosts/ key names that was never seen. Pure: `now` is the reader's clock.
export function fleetRows(prefix: string, view: StoreView, now: number): FleetRow[] {
  const statuses = new Map<string, ReturnType<typeof parseStatusRecord>>();
  const tracked = new Map<string, ReturnType<typeof parseTracked>>();
  const named = new Set<string>();
  for (const [key, entry] of view.entries) {
    const parsed = parseKey(prefix, key);
    if (parsed?.kind === 'status') statuses.set(parsed.name, parseStatusRecord(parsed.name, entry.value));
    else if (parsed?.kind === 'tracked') tracked.set(parsed.name, parseTracked(parsed.name, entry.value));
    else if (parsed?.kind === 'host') named.add(parsed.name);
  }
  const documents = new DocumentRevisions(prefix, view);
  const rows: FleetRow[] = [];
  for (const host of new Set([...statuses.keys(), ...tracked.keys(), ...named])) {
    const record = statuses.get(host);
    const status = record && 'status' in record ? record.status : null;
    const labels = status?.labels ?? {};
    const wanted = documents.wanted(host, labels);
    if (!status) {
      // No record, or one that is not what an agent writes: either way nothing it says is used.
      const seen = tracked.get(host);
      const problems = [
        ...(record && 'problem' in record ? [`invalid status record: ${record.problem}`] : []),
        ...(seen && 'problem' in seen ? [`invalid tracked record: ${seen.problem}`] : []),
      ];
      const seenAt = !record && seen && 'seenAt' in seen ? seen.seenAt : null;
      rows.push({
        host,
        state: problems.length > 0 ? 'invalid' : seenAt ? 'down' : 'missing',
        inSync: false,
        revision: null,
        wanted,
        vips: null,
        updatedAt: seenAt,
        errors: seenAt ? [`no status since ${seenAt}: its lease expired`] : problems,
        labels,
        lastOutage: null,
        instance: null,
        drain: null,
        connections: null,
      });
      continue;
    }
    const age = now - Date.parse(status.updatedAt);
    let state: HostState = 'in-sync';
    // Two agents with this name overwrite each other's status: neither row can be believed.
    if (status.duplicate) state = 'duplicate';
    else if (status.wipeHeld) state = 'wipe-held';
    else if (age > STALE_HEARTBEATS * status.heartbeatS * 1000) state = 'stale';
    else if (status.revision < wanted) state = 'behind';
    else if (!status.inSync) state = 'drift';
    rows.push({
      host,
      state,
      inSync: status.inSync,
      revision: status.revision,
      wanted,
      vips: status.vips,
      updatedAt: status.updatedAt,
      errors: status.duplicate
        ? [
            `agents ${status.instance ?? '?'} and ${status.duplicate} both write this host's status: two hosts share the name ${host}`,
            ...status.errors,
          ]
        : status.errors,
      labels,
      lastOutage: status.lastOutage ?? null,
      instance: status.instance ?? null,
      drain: status.drain ?? null,
      connections: status.connections ?? null,
    });
    if (status.drainRefused) rows.at(-1)!.errors = [status.drainRefused, ...rows.at(-1)!.errors];
  }
  return rows.sort((a, b) => a.host.localeCompare(b.host));
}

// The newest revision of the documents that concern each host, as an agent reading the
// view afresh counts them (DocumentBook's docRevision: its allow-empty keys, the valid
// groups its labels match, its own valid hosts/ key). Each document is parsed once for the
// whole fleet, not once per host: fleet status stays linear in the number of hosts.
export class DocumentRevisions {
  private everyHost = 0; // allow-empty/all
  private readonly own = new Map<string, number>(); // allow-empty/<host> and a valid hosts/<host>
  private readonly groups: { selector: Record<string, string>; modRevision: number }[] = [];

  constructor(prefix: string, view: StoreView) {
    for (const [key, entry] of view.entries) {
      const parsed = parseKey(prefix, key);
      if (!parsed || !['allow-empty', 'group', 'host'].includes(parsed.kind)) continue;
      if (parsed.kind === 'allow-empty' && parsed.name === 'all') {
        this.everyHost = Math.max(this.everyHost, entry.modRevision);
        continue;
      }
      if (parsed.kind !== 'allow-empty') {
        let selector: Record<string, string>;
        try {
          selector = parseDocument(key, parsed, entry.value).selector ?? {};
        } catch (error) {
          if (!(error instanceof AgentError)) throw error;
          continue; // a refused document concerns nobody until it validates
        }
        if (parsed.kind === 'group') {
          this.groups.push({ selector, modRevision: entry.modRevision });
          continue;
        }
      }
      this.own.set(parsed.name, Math.max(this.own.get(parsed.name) ?? 0, entry.modRevision));
    }
  }

  wanted(host: string, labels: Record<string, string>): number {
    let revision = Math.max(this.everyHost, this.own.get(host) ?? 0);
    for (const group of this.groups)
      if (group.modRevision > revision && selectorMatches(group.selector, labels)) revision = group.modRevision;
    return revision;
  }
}

// tracked/<host>: when the host last wrote its status, or what is wrong with the record.
function parseTracked(host: string, text: string): { seenAt: string } | { problem: string } {
  if (!isHostName(host)) return { problem: 'key: the name after tracked/ is not a host name' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const seenAt = (value as { seenAt?: unknown } | null)?.seenAt;
  if (typeof seenAt !== 'string' || seenAt.length > 40 || Number.isNaN(Date.parse(seenAt)))
    return { problem: 'seenAt: not a time' };
  return { seenAt };
}
