import { loadConfig } from '../config/load.js';
import { AgentError } from '../errors.js';
import { createEtcdClient } from './etcd-client.js';
import { fleetRows, type FleetRow } from './fleet-status.js';
import type { StoreEntry } from './host-desired.js';

// Keys read per request: a page stays far below gRPC's 4 MiB response limit, and the
// time grows with the fleet instead of one response growing past what the client takes.
const PAGE_KEYS = 2000;

// Reads the whole prefix at one revision, a page at a time, and builds the fleet view.
export async function readFleet(
  configPath: string,
  allowInsecure: boolean,
): Promise<{ rows: FleetRow[]; revision: number }> {
  const config = loadConfig(configPath, { allowInsecure });
  if (!config.store)
    throw new AgentError(`config ${config.file}: names no store (source.etcd): there is no fleet to show`);
  const client = await createEtcdClient(config.store);
  try {
    const prefix = config.store.prefix;
    // The prefix ends with '/': every key under it sorts before the prefix with '/' + 1.
    const end = `${prefix.slice(0, -1)}0`;
    const entries = new Map<string, StoreEntry>();
    let revision = 0;
    let start: string | Buffer = prefix;
    for (;;) {
      const query = client.getAll().inRange({ start, end }).limit(PAGE_KEYS);
      const res = await (revision > 0 ? query.revision(revision) : query).exec();
      if (revision === 0) revision = Number(res.header.revision);
      for (const kv of res.kvs)
        entries.set(kv.key.toString(), { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
      const last = res.kvs.at(-1);
      if (!res.more || !last) break;
      start = Buffer.concat([last.key, Buffer.from([0])]); // the next key after it
    }
    return { rows: fleetRows(config.store.prefix, { revision, entries }, Date.now()), revision };
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      `store ${config.store.endpoints.join(',')}: cannot read ${config.store.prefix}: ${(error as Error).message}`,
    );
  } finally {
    client.close();
  }
}
