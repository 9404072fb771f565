import type { Config } from '../config/types.js';
import { clipText, escapeText } from '../render/escape.js';

// The config a one-shot command (start, check, plan) converges to: the file's, plus,
// when it names a store, this host's VIPs from the store, or from the cache when the
// store does not answer. The etcd client is loaded only then.
export async function withStoreVips(
  config: Config,
  stateDir: string,
  note: (message: string) => void = stderrNote,
): Promise<Config> {
  if (!config.store) return config;
  const { readStoreVips } = await import('./store-once.js');
  const { vips, unknown } = await readStoreVips(config, stateDir, note);
  const local = new Set(config.vips.map((v) => v.address));
  return {
    ...config,
    vips: [...config.vips, ...vips.filter((v) => !local.has(v.address))],
    ...(unknown ? { storeUnknown: unknown } : {}),
  };
}

function stderrNote(message: string): void {
  process.stderr.write(`rs-agent: ${escapeText(clipText(message))}\n`);
}
