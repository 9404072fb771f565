import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError, describeError, isCode } from '../errors.js';
import { writeFileAtomic, WriteError } from '../system/atomic-write.js';
import { decodeOwned, emptyOwned, encodeOwned, type Owned } from '../objects/registry.js';
import {
  defaultOwners,
  directoryProblem,
  explainProblem,
  makeDirectory,
  type Owners,
  type PathProblem,
} from '../system/trusted-path.js';

export const STATE_VERSION = 1;

export const DEFAULT_STATE_DIR = '/run/rs-agent';
const FILE = 'state.json';

export function statePath(dir: string): string {
  return join(dir, FILE);
}

// Reads what rs-agent owns. A missing file means it owns nothing (first start, or the
// host rebooted and /run was cleared with the runtime values it described).
export function readState(dir: string): Owned {
  checkStateDir(dir);
  const path = statePath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return emptyOwned();
    throw new AgentError(`state file ${path}: cannot read: ${describeError(error)}`);
  }
  let doc: { version?: unknown; owned?: unknown } | null;
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new AgentError(
      `state file ${path} is corrupt (not JSON); it holds the sysctl values to restore on stop. ` +
        'Inspect it, then move it aside to start afresh (originals it held are then lost)',
    );
  }
  if (typeof doc !== 'object' || doc === null || doc.version !== STATE_VERSION) {
    throw new AgentError(
      `state file ${path} has version ${JSON.stringify(doc?.version ?? null)}, this rs-agent reads version ${STATE_VERSION}; ` +
        'stop with the rs-agent that wrote it, or move the file aside to start afresh',
    );
  }
  const owned = decodeOwned(doc.owned);
  if (typeof owned === 'string') {
    throw new AgentError(
      `state file ${path} is damaged (${owned}); it holds the sysctl values to restore on stop. ` +
        'Inspect it, then move it aside to start afresh (originals it held are then lost)',
    );
  }
  return owned;
}

// Writes atomically: a crash of rs-agent at any point leaves the old state or the new,
// never half of one. Not durable (no fsync): the file records runtime kernel state, and
// its home /run is a tmpfs, cleared at boot with that state; what a killed process wrote
// is in the page cache, which it does not take with it.
export function writeState(dir: string, owned: Owned): void {
  ensureStateDir(dir);
  const path = statePath(dir);
  try {
    writeFileAtomic(path, `${JSON.stringify({ version: STATE_VERSION, owned: encodeOwned(owned) })}\n`, {
      mode: 0o600,
      durable: false,
      owners: stateDirOwners(),
    });
  } catch (error) {
    if (error instanceof WriteError) throw new AgentError(`state file ${path}: cannot write: ${error.reason}`);
    throw error;
  }
}

export function removeState(dir: string): void {
  rmSync(statePath(dir), { force: true });
}

// Who may own the state directory. A later rs-agent whose watcher runs as a system user
// of its own gives start and stop (root) that user's uid here as well.
export function stateDirOwners(): Owners {
  return defaultOwners();
}

// The state directory, created (mode 0700) if missing, and refused (exit 2, nothing
// changed) if it or a directory above it is someone else's: rs-agent, as root, writes
// its state and lock files there, and a directory another user controls would let them
// rename those and plant symlinks or FIFOs in their place.
export function ensureStateDir(dir: string): void {
  refuse(dir, makeDirectory(dir, 0o700, stateDirOwners()));
}

// The same check without creating it, for commands that only read the state.
export function checkStateDir(dir: string): void {
  refuse(dir, directoryProblem(dir, stateDirOwners()));
}

function refuse(dir: string, problem: PathProblem | null): void {
  if (problem) throw new AgentError(explainProblem(`state directory ${dir}`, dir, problem));
}
