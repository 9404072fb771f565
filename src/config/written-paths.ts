import { ConfigError, describeError } from '../errors.js';
import { readSmallFile } from '../system/small-file.js';
import { defaultOwners, explainProblem, replacedFileProblem, type Owners } from '../system/trusted-path.js';
import { show } from './schema.js';
import type { Config } from './types.js';

// What a file rs-agent writes looks like, so that a path naming some other file (a
// root-only system file such as /etc/shadow, another tool's metrics) is refused rather
// than replaced. Kept in step with renderMetrics (daemon/metrics.ts) and writeCache
// (store/cache.ts) and the drain record (drain/record.ts) by test/config/written-paths.test.ts.
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

const DRAIN: Kind = {
  what: 'a drain record',
  maxBytes: 4096,
  isOurs: (text) => {
    try {
      const doc = JSON.parse(text) as { version?: unknown; id?: unknown; since?: unknown } | null;
      return typeof doc?.id === 'string' && typeof doc.since === 'string';
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
  if (config.metrics.file !== null) checkFile(config.file, 'metrics.file', config.metrics.file, METRICS, owners);
  if (config.store) checkFile(config.file, 'source.etcd.cache', config.store.cache, CACHE, owners);
  checkFile(config.file, 'drain.file', config.drain.file, DRAIN, owners);
}

function checkFile(source: string, key: string, path: string, kind: Kind, owners: Owners): void {
  const problem = replacedFileProblem(path, owners);
  if (problem) throw new ConfigError(source, key, explainProblem(show(path), path, problem));
  let text: string | undefined;
  try {
    text = readSmallFile(path, kind.maxBytes) ?? undefined;
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
