import { dirname, isAbsolute, relative } from 'node:path';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import { unitExecPath } from './binary-path.js';
import { HEADER } from './boot-files.js';

// The service units run rs-agent under ProtectSystem=strict: it may write only where
// their ReadWritePaths say. As shipped, that is the state dir, the store cache's default
// directory and node_exporter's textfile directory. A config that puts the cache or
// metrics.file elsewhere gets a drop-in per service unit naming those directories too.
export const SERVICE_UNITS = ['rs-agent.service', 'rs-agent-watch.service', 'rs-agent-check.service'];
export const SHIPPED_WRITABLE = ['/run/rs-agent', '/var/lib/rs-agent', '/var/lib/prometheus/node-exporter'];
export const PATHS_DROP_IN = 'rs-agent-paths.conf';

function within(dir: string, parent: string): boolean {
  const rel = relative(parent, dir);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

// The directories the config has rs-agent write in that the shipped units do not make
// writable, each with the key that names it, in the config's order.
export function extraWritableDirs(config: Config): { key: string; dir: string }[] {
  const files = [
    { key: 'source.etcd.cache', file: config.store?.cache },
    { key: 'metrics.file', file: config.metrics.file },
  ];
  const extra: { key: string; dir: string }[] = [];
  for (const { key, file } of files) {
    if (typeof file !== 'string') continue;
    const dir = dirname(file);
    if (!SHIPPED_WRITABLE.some((w) => within(dir, w)) && !extra.some((e) => e.dir === dir)) extra.push({ key, dir });
  }
  return extra;
}

// The drop-in's text, or null when the shipped units suffice. '-': a directory missing
// when the unit starts is left read-only (rs-agent then reports the failed write)
// instead of failing the unit, which would leave the VIPs unguarded.
export function renderPathsDropIn(config: Config): string | null {
  const extra = extraWritableDirs(config);
  if (extra.length === 0) return null;
  const paths = extra.map(({ key, dir }) => {
    const path = unitExecPath(dir);
    if (path === null)
      throw new AgentError(
        `install: config ${config.file}: ${key}: the directory ${JSON.stringify(dir)} cannot be named in a unit ` +
          '(systemd wants it without quotes, backslashes or control characters); choose another; nothing was written',
      );
    return `-${path}`;
  });
  return (
    HEADER(config) +
    '# The directories of source.etcd.cache and metrics.file that the shipped unit does not make writable.\n' +
    `[Service]\nReadWritePaths=${paths.join(' ')}\n`
  );
}
