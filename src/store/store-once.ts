import type { Config, StoreConfig, VipConfig } from '../config/types.js';
import { AgentError } from '../errors.js';
import { readCache, writeCache } from './cache.js';
import { createEtcdClient } from './etcd-client.js';
import { heldVips } from './held-vips.js';
import { readRange } from './range-read.js';
import { describeStoreError } from './store-error.js';
import { DocumentBook } from './host-desired.js';
import { desiredRange } from './layout.js';
import { checkWipe } from './wipe.js';

// One read of the store for this host, as `run` does at its start: validated, wipe-
// checked against the cache, cached. When the store does not answer: the cache, else
// what rs-agent holds now, so that a boot without the store removes nothing; without a
// cache the desired state is unknown (said in `unknown`: the caller does not call the
// host in sync).
export async function readStoreVips(
  config: Config,
  stateDir: string,
  note: (message: string) => void,
): Promise<{ vips: VipConfig[]; unknown: string | null }> {
  const store = config.store!;
  const cached = readCache(store.cache, config.host, note);
  const previous = cached?.vips ?? heldVips(stateDir, config);
  const client = await createEtcdClient(store);
  try {
    const view = await readRange(client, desiredRange(store.prefix));
    const desired = new DocumentBook(store.prefix, config.host, config.labels).resolve(view);
    for (const error of desired.errors) note(error);
    const decision = checkWipe(
      cached ? cached.vips : previous.length ? previous : null,
      desired.vips,
      desired.allowEmpty,
    );
    if (decision.held)
      note(
        `store revision ${desired.revision} would leave this host with no VIP; keeping the ${decision.vips.length} in force (put ${store.prefix}allow-empty/${config.host} to allow it)`,
      );
    else writeCache(store.cache, config.host, desired.docRevision, decision.vips, desired.keys);
    return { vips: decision.vips, unknown: null };
  } catch (error) {
    if (error instanceof AgentError) throw error;
    const failure = storeFailureText(store, error);
    if (cached) {
      note(`${failure}; using the cache of revision ${cached.revision}`);
      return { vips: previous, unknown: null };
    }
    // Said once, by the caller's report of the pass's problems.
    const unknown = `desired state unknown: ${failure}, and no cache at ${store.cache}; keeping the ${previous.length} store VIPs rs-agent holds`;
    return { vips: previous, unknown };
  } finally {
    client.close();
  }
}

// "store E unreachable (why)" for an outage, "store E: cannot read P: why" for a refusal.
export function storeFailureText(store: StoreConfig, error: unknown): string {
  const { refused, text } = describeStoreError(error);
  const endpoints = store.endpoints.join(',');
  return refused
    ? `store ${endpoints}: cannot read ${store.prefix}: ${text}`
    : `store ${endpoints} unreachable (${text})`;
}
