import { DocumentBook, type StoreView } from './host-desired.js';
import { parseKey } from './layout.js';
import { parseStatusRecord } from './status-check.js';
import type { HostStatus } from './status-record.js';

export type HostState = 'in-sync' | 'behind' | 'drift' | 'stale' | 'missing' | 'wipe-held' | 'invalid';

export interface FleetRow {
  host: string;
  state: HostState;
  inSync: boolean;
  revision: number | null; // the store revision the host has applied
  wanted: number; // the newest revision of a document that concerns it
  vips: number | null;
  updatedAt: string | null;
  errors: string[];
  labels: Record<string, string>;
  lastOutage: HostStatus['lastOutage']; // the last time the store was unreachable from the host
}

// A status older than this many heartbeats is stale: the agent stopped writing (the
// store was away from it, or it hangs) but its lease has not expired yet (etcd renews
// every lease when a new leader takes over, so a store that was down shows its hosts'
// old statuses until they write again).
const STALE_HEARTBEATS = 2.5;

// The fleet as the store shows it: every host that wrote a status, and every host a
// hosts/ key names that did not. Pure: `now` is the reader's clock.
export function fleetRows(prefix: string, view: StoreView, now: number): FleetRow[] {
  const statuses = new Map<string, ReturnType<typeof parseStatusRecord>>();
  const named = new Set<string>();
  for (const [key, entry] of view.entries) {
    const parsed = parseKey(prefix, key);
    if (parsed?.kind === 'status') statuses.set(parsed.name, parseStatusRecord(parsed.name, entry.value));
    else if (parsed?.kind === 'host') named.add(parsed.name);
  }
  const rows: FleetRow[] = [];
  for (const host of new Set([...statuses.keys(), ...named])) {
    const record = statuses.get(host);
    const status = record && 'status' in record ? record.status : null;
    const labels = status?.labels ?? {};
    const desired = new DocumentBook(prefix, host, labels).resolve(view);
    const wanted = desired.docRevision;
    if (!status) {
      // No record, or one that is not what an agent writes: either way nothing it says is used.
      const problem = record && 'problem' in record ? [`invalid status record: ${record.problem}`] : [];
      rows.push({
        host,
        state: problem.length > 0 ? 'invalid' : 'missing',
        inSync: false,
        revision: null,
        wanted,
        vips: null,
        updatedAt: null,
        errors: problem,
        labels,
        lastOutage: null,
      });
      continue;
    }
    const age = now - Date.parse(status.updatedAt);
    let state: HostState = 'in-sync';
    if (status.wipeHeld) state = 'wipe-held';
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
      errors: status.errors,
      labels,
      lastOutage: status.lastOutage ?? null,
    });
  }
  return rows.sort((a, b) => a.host.localeCompare(b.host));
}
