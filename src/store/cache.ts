import { readFileSync } from 'node:fs';
import type { VipConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { AgentError } from '../errors.js';
import { writeFileAtomic } from '../system/atomic-write.js';

// The last desired state this host validated from the store, on disk: what the agent
// holds to while the store is away, and what it starts from at boot without one.
export interface CachedDesired {
  host: string;
  revision: number;
  vips: { address: string; mode: string }[];
  keys: string[];
  savedAt: string;
}

// Its directory is made (mode 0700) if missing, and must be root's like the state
// directory (system/trusted-path.ts): rs-agent writes there as root.
export function writeCache(path: string, host: string, revision: number, vips: VipConfig[], keys: string[]): void {
  const cached: CachedDesired = {
    host,
    revision,
    vips: vips.map((v) => ({ address: v.address, mode: v.mode })),
    keys,
    savedAt: new Date().toISOString(),
  };
  // Durable: it is what the agent starts from at boot when the store is away, so it
  // must survive a power loss whole.
  writeFileAtomic(path, `${JSON.stringify(cached, null, 2)}\n`, { mode: 0o600, durable: true, dirMode: 0o700 });
}

// The cache, validated again as the file would be: null when there is none, or when
// it belongs to another host name or does not validate (reported through onError).
export function readCache(
  path: string,
  host: string,
  onError: (message: string) => void,
): { revision: number; vips: VipConfig[] } | null {
  let cached: CachedDesired;
  try {
    cached = JSON.parse(readFileSync(path, 'utf8')) as CachedDesired;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT')
      onError(`cache ${path}: unreadable, ignored: ${(error as Error).message}`);
    return null;
  }
  if (cached.host !== host) {
    onError(`cache ${path}: written for host ${String(cached.host)}, not ${host}; ignored`);
    return null;
  }
  if (!Array.isArray(cached.vips) || cached.vips.length === 0)
    return { revision: Number(cached.revision) || 0, vips: [] };
  try {
    return {
      revision: Number(cached.revision) || 0,
      vips: validateConfig({ vips: cached.vips }, `cache ${path}`).vips,
    };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    onError(`${error.message}; ignored`);
    return null;
  }
}
