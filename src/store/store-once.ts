import type { Config, VipConfig } from '../config/types.js';
import { AgentError } from '../errors.js';
import { readCache, writeCache } from './cache.js';
import { createEtcdClient } from './etcd-client.js';
import { heldVips } from './held-vips.js';
import { DocumentBook, type StoreEntry } from './host-desired.js';
import { desiredRange } from './layout.js';
import { checkWipe } from './wipe.js';

// One read of the store for this host, as `run` does at its start: validated, wipe-
// checked against the cache, cached. When the store does not answer: the cache, else
// what rs-agent holds now, so that a boot without the store removes nothing.
export async function readStoreVips(
  config: Config,
  stateDir: string,
  note: (message: string) => void,
): Promise<VipConfig[]> {
  const store = config.store!;
  const cached = readCache(store.cache, config.host, note);
  const previous = cached?.vips ?? heldVips(stateDir, config);
  const client = await createEtcdClient(store);
  try {
    const res = await client.getAll().inRange(desiredRange(store.prefix)).exec();
    const entries = new Map<string, StoreEntry>();
    for (const kv of res.kvs)
      entries.set(kv.key.toString(), { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
    const desired = new DocumentBook(store.prefix, config.host, config.labels).resolve({
      revision: Number(res.header.revision),
      entries,
    });
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
    return decision.vips;
  } catch (error) {
    if (error instanceof AgentError) throw error;
    note(
      `store ${store.endpoints.join(',')} unreachable (${(error as Error).message}); using ${cached ? `the cache of revision ${cached.revision}` : 'what rs-agent holds now'}`,
    );
    return previous;
  } finally {
    client.close();
  }
}
