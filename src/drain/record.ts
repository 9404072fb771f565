import { crypto } from '../system/crypto.js';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentError, describeError } from '../errors.js';
import { syncDir, writeFileAtomic, WriteError } from '../system/atomic-write.js';
import { readSmallFile } from '../system/small-file.js';
import { directoryProblem, explainProblem, makeDirectory, type PathProblem } from '../system/trusted-path.js';

// The drain record: while it exists the health endpoint tells the director to send this
// server no new connection. On disk (drain.file, /var/lib/rs-agent/drain), written
// durably, so a drain outlives a restart, a reboot and the `start` at boot; only
// `undrain` (or the `stop --drain` that set it) removes it. Beside it: FILE.done, written
// by `drain` once no connection is left (its content the record's id, so a marker left
// from an earlier drain means nothing), and FILE.lock, held by a `drain` while it waits.
// rs-agent writes them as root: like the state file, only in a directory that passes the
// StrictModes check (system/trusted-path.ts), each created exclusively and renamed into
// place (writeFileAtomic), and read without following a link or blocking on a FIFO.

export interface DrainRecord {
  id: string;
  since: string; // ISO time it was set
  // stop: set by `stop --drain` (or drain.on_stop), removed by it; store: set by `run` for
  // the store's drain/<host> key, in its own file (storeDrainPath), removed with the key
  by: 'operator' | 'stop' | 'store';
  reason?: string; // the store key's reason
}

// What the health endpoint and status go by. problem: the record could not be read;
// the host then counts as draining (out of the pool until someone looks).
export interface DrainState {
  state: 'draining' | 'drained';
  since: string | null;
  by: DrainRecord['by'] | null;
  problem?: string;
  // The store's drain/<host> key drains it (too): a drain of its own, apart from the
  // operator's, so that neither lifts the other.
  store?: { since: string; reason: string | null };
}

const VERSION = 1;
// The record is under 200 bytes; the health endpoint reads it for every request.
export const MAX_RECORD_BYTES = 4096;

export const donePath = (file: string) => `${file}.done`;
export const drainLockPath = (file: string) => `${file}.lock`;
// The drain the store's key asks for, beside the operator's (drain.file): drained while
// either is there.
export const storeDrainPath = (file: string) => `${file}.store`;

// The record, or null when there is none. A record that cannot be read is a problem, not
// an absence: a damaged drain must not put the host back in the pool.
export function readRecord(file: string): DrainRecord | { problem: string } | null {
  let text: string | null;
  try {
    text = readSmallFile(file, MAX_RECORD_BYTES);
  } catch (error) {
    return { problem: `drain record ${file}: cannot read: ${describeError(error)}` };
  }
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (
      doc.version === VERSION &&
      typeof doc.id === 'string' &&
      typeof doc.since === 'string' &&
      !Number.isNaN(Date.parse(doc.since)) &&
      (doc.by === 'operator' || doc.by === 'stop' || doc.by === 'store') &&
      (doc.reason === undefined || typeof doc.reason === 'string')
    )
      return {
        id: doc.id,
        since: doc.since,
        by: doc.by,
        ...(typeof doc.reason === 'string' ? { reason: doc.reason } : {}),
      };
  } catch {
    // reported below
  }
  return {
    problem: `drain record ${file} is damaged: not a record rs-agent wrote; move it away to put the host back in the pool`,
  };
}

// Whether the host is drained or draining now, and since when; null: pooled. The
// operator's drain (drain.file) and the store's (beside it) each count: drained when
// either says so.
export function readDrain(file: string): DrainState | null {
  const local = readOne(file);
  const store = readOne(storeDrainPath(file));
  if (store === null) return local;
  // A store record that cannot be read drains too, until someone looks.
  if (store.since === null) return local ?? store;
  const fromStore = { since: store.since, reason: store.reason ?? null };
  if (local === null) return { state: store.state, since: store.since, by: 'store', store: fromStore };
  return { ...local, state: local.state === 'drained' ? 'drained' : store.state, store: fromStore };
}

function readOne(file: string): (DrainState & { reason?: string }) | null {
  const record = readRecord(file);
  if (record === null) return null;
  if ('problem' in record) return { state: 'draining', since: null, by: null, problem: record.problem };
  let done = '';
  try {
    done = readSmallFile(donePath(file), MAX_RECORD_BYTES)?.trim() ?? '';
  } catch {
    // not drained yet
  }
  return {
    state: done === record.id ? 'drained' : 'draining',
    since: record.since,
    by: record.by,
    ...(record.reason === undefined ? {} : { reason: record.reason }),
  };
}

// Sets the drain (a new record), or returns the one in force.
export function setDrain(file: string, by: DrainRecord['by'], now = new Date(), reason?: string): DrainRecord {
  const current = readRecord(file);
  if (current !== null && !('problem' in current)) return current;
  const record: DrainRecord = {
    id: crypto().randomUUID(),
    since: now.toISOString(),
    by,
    ...(reason ? { reason } : {}),
  };
  ensureDrainDir(file);
  write(file, `${JSON.stringify({ version: VERSION, ...record })}\n`);
  return record;
}

// The drain is complete: no connection left. Written only beside its own record.
export function markDrained(file: string, record: DrainRecord): void {
  write(donePath(file), `${record.id}\n`);
}

// Back to draining (a new wait begins).
export function clearDrained(file: string): void {
  remove(donePath(file));
}

// Undrain: the record goes, then its marker.
export function removeDrain(file: string): void {
  remove(file);
  remove(donePath(file));
}

function write(path: string, content: string): void {
  try {
    writeFileAtomic(path, content, { mode: 0o644, durable: true });
  } catch (error) {
    if (error instanceof WriteError) throw new AgentError(`drain record: ${error.message}`);
    throw error;
  }
}

function remove(path: string): void {
  const problem = directoryProblem(dirname(path));
  if (problem) throw pathError(path, problem);
  try {
    rmSync(path, { force: true });
  } catch (error) {
    throw new AgentError(`drain record: cannot remove ${path}: ${describeError(error)}`);
  }
  syncDir(dirname(path));
}

// The record's directory, made 0755 where missing (nothing in it is secret, and a
// watcher not running as root must be able to read the record), once every directory
// above it passes the check; refused when it or one above it is someone else's.
export function ensureDrainDir(file: string): void {
  const problem = makeDirectory(dirname(file), 0o755);
  if (problem) throw pathError(file, problem);
}

function pathError(path: string, problem: PathProblem): AgentError {
  return new AgentError(
    `drain record: ${explainProblem(path, path, problem)}; ` +
      'name a drain.file in a directory only root can change (the default is /var/lib/rs-agent/drain)',
  );
}
