import { loadConfig } from '../config/load.js';
import { AgentError } from '../errors.js';
import { createEtcdClient } from './etcd-client.js';
import { fleetRows, type FleetRow } from './fleet-status.js';
import type { StoreEntry } from './host-desired.js';

// Reads the whole prefix once (one range read, one revision) and builds the fleet view.
export async function readFleet(
  configPath: string,
  allowInsecure: boolean,
): Promise<{ rows: FleetRow[]; revision: number }> {
  const config = loadConfig(configPath, { allowInsecure });
  if (!config.store)
    throw new AgentError(`config ${config.file}: names no store (source.etcd): there is no fleet to show`);
  const client = await createEtcdClient(config.store);
  try {
    const res = await client.getAll().prefix(config.store.prefix).exec();
    const entries = new Map<string, StoreEntry>();
    for (const kv of res.kvs)
      entries.set(kv.key.toString(), { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
    const revision = Number(res.header.revision);
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
