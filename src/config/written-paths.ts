import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError, describeError, isCode } from '../errors.js';
import { defaultOwners, explainProblem, replacedFileProblem, type Owners } from '../system/trusted-path.js';
import { show } from './schema.js';
import type { Config } from './types.js';

// What a file rs-agent writes looks like, so that a path naming some other file (a
// root-only system file such as /etc/shadow, another tool's metrics) is refused rather
// than replaced. Kept in step with renderMetrics (daemon/metrics.ts) and writeCache
// (source/cache.ts) by test/config/written-paths.test.ts.
interface Kind {
  what: string;
  maxBytes: number;
  isOurs(text: string): boolean;
}

const METRICS: Kind = {
  what: 'a metrics file',
  maxBytes: 1 << 20,
  isOurs: (text) => text.startsWith('# HELP rs_agent_'),
};

const CACHE: Kind = {
  what: 'a cache',
  maxBytes: 64 << 20,
  isOurs: (text) => {
    try {
      const doc = JSON.parse(text) as { host?: unknown; savedAt?: unknown } | null;
      return typeof doc?.host === 'string' && typeof doc.savedAt === 'string';
    } catch {
      return false;
    }
  },
};

// The files the config has rs-agent write as root: each must be somewhere only root (or
// the user rs-agent runs as) can change (system/trusted-path.ts), and, where it exists,
// one that rs-agent wrote. Checked when the config is loaded, so a bad path is refused
// (exit 2, naming the key and value) before anything is changed.
export function checkWrittenPaths(config: Config, owners: Owners = defaultOwners()): void {
  if (config.metrics.file !== null) checkFile(config.source, 'metrics.file', config.metrics.file, METRICS, owners);
  if (config.store) checkFile(config.source, 'source.etcd.cache', config.store.cache, CACHE, owners);
}

function checkFile(source: string, key: string, path: string, kind: Kind, owners: Owners): void {
  const problem = replacedFileProblem(path, owners);
  if (problem) throw new ConfigError(source, key, explainProblem(show(path), path, problem));
  let text: string | undefined;
  try {
    text = readSmall(path, kind.maxBytes);
  } catch (error) {
    throw new ConfigError(source, key, `${show(path)} cannot be read: ${describeError(error)}`);
  }
  if (text === undefined || kind.isOurs(text)) return;
  throw new ConfigError(
    source,
    key,
    `${show(path)} exists and is not ${kind.what} rs-agent wrote; ` +
      'rs-agent replaces only its own file there: name another path, or move the file away',
  );
}

// The file's text; undefined when there is none; '' (no file of ours) when over maxBytes.
function readSmall(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return fstatSync(fd).size > maxBytes ? '' : readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
