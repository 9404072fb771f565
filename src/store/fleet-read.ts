import { loadConfig } from '../config/load.js';
import { AgentError } from '../errors.js';
import { createEtcdClient } from './etcd-client.js';
import { fleetRows, type FleetRow } from './fleet-status.js';
import { readRange } from './range-read.js';
import { describeStoreError } from './store-error.js';

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
    const view = await readRange(client, { start: prefix, end: `${prefix.slice(0, -1)}0` }, { pageKeys: PAGE_KEYS });
    return { rows: fleetRows(config.store.prefix, view, Date.now()), revision: view.revision };
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      `store ${config.store.endpoints.join(',')}: cannot read ${config.store.prefix}: ${describeStoreError(error).text}`,
    );
  } finally {
    client.close();
  }
}
