import { closeSync } from 'node:fs';
import { desiredConfig, type AgentOptions } from '../agent.js';
import type { Config } from '../config/types.js';
import { AgentError } from '../errors.js';
import { parseTrafficTable } from '../objects/nft/traffic.js';
import { nftListArgv, readNftTable } from '../observe/nft-read.js';
import { takeFlock } from '../state/flock.js';
import { refuseWhileDaemonRuns } from '../state/instance-lock.js';
import { vipTraffic, type VipTraffic } from '../traffic/sample.js';
import {
  clearDrained,
  drainLockPath,
  ensureDrainDir,
  markDrained,
  readRecord,
  removeDrain,
  setDrain,
  storeDrainPath,
  type DrainRecord,
} from './record.js';
import { drainKey } from '../store/layout.js';
import { waitDrained, type DrainOutcome } from './wait.js';

// `rs-agent drain` and `undrain`: the drain record set or removed, and the wait for the
// connections to the VIPs to finish. The VIPs stay in place throughout.

export interface DrainRequest {
  timeoutMs?: number; // default drain.timeout
  wait: boolean;
  by: DrainRecord['by'];
  print(line: string): void;
}

export interface DrainResult {
  outcome: DrainOutcome | 'set'; // set: --no-wait
  line: string;
  record: DrainRecord;
}

// Sets the drain and, with wait, waits until nothing is left (or the timeout).
export async function drain(opts: AgentOptions, request: DrainRequest, config?: Config): Promise<DrainResult> {
  const cfg = config ?? (await desiredConfig(opts));
  const file = cfg.drain.file;
  if (!request.wait) {
    const record = setDrain(file, request.by);
    return { outcome: 'set', record, line: 'draining: the health endpoint answers 503 from now on' };
  }
  const lock = await lockDrain(file);
  try {
    const record = setDrain(file, request.by);
    clearDrained(file);
    const vips = cfg.vips.map((v) => v.address);
    const timeoutMs = request.timeoutMs ?? cfg.drain.timeoutMs;
    const sample = () => readVipTraffic(opts, vips);
    const first = await sample();
    request.print(
      `draining since ${record.since}: the health endpoint answers 503; waiting until no connection to a VIP is left ` +
        `and none has arrived for ${seconds(cfg.drain.quietMs)} (at most ${seconds(timeoutMs)})`,
    );
    if (!first.counted)
      request.print(
        `note: new connections are not counted (${first.notCounted ?? ''}); waiting on open connections only`,
      );
    const result = await waitDrained({
      sample,
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      stillSet: () => {
        const now = readRecord(file);
        return now !== null && !('problem' in now) && now.id === record.id;
      },
      quietMs: cfg.drain.quietMs,
      timeoutMs,
      onLine: request.print,
    });
    if (result.outcome === 'drained') markDrained(file, record);
    return { ...result, record };
  } finally {
    closeSync(lock);
  }
}

// Removes the operator's drain record (a damaged one too); returns what it said, and the
// store's key if the store drains the host too (that drain is the store's to lift: only
// deleting the key does). Not drained by the operator: exit 1, nothing changed. Without a
// store in the config, a store's drain record left behind has no key to lift it: it goes too.
export async function undrain(
  opts: AgentOptions,
): Promise<{ record: DrainRecord | null; storeKey: string | null; stale: boolean }> {
  const cfg = await desiredConfig(opts);
  const file = cfg.drain.file;
  const record = readRecord(file);
  const fromStore = readRecord(storeDrainPath(file)) !== null;
  const storeKey = fromStore && cfg.store ? drainKey(cfg.store.prefix, cfg.host) : null;
  if (record === null && storeKey)
    throw new AgentError(
      `not drained by rs-agent drain: there is no drain record ${file}; the store drains this host ` +
        `(etcd key ${storeKey}): delete that key to put it back in the pool; nothing changed`,
      1,
    );
  if (record === null && !fromStore)
    throw new AgentError(`not drained: there is no drain record ${file}; nothing changed`, 1);
  if (record !== null) removeDrain(file);
  const stale = fromStore && !cfg.store;
  if (stale) removeDrain(storeDrainPath(file));
  return { record: record === null || 'problem' in record ? null : record, storeKey, stale };
}

// The VIPs' connections now, and the new ones counted by the traffic table.
export async function readVipTraffic(opts: Pick<AgentOptions, 'runner'>, vips: readonly string[]): Promise<VipTraffic> {
  const table = await readNftTable(opts.runner, nftListArgv('inet', 'rs_agent_traffic'), parseTrafficTable);
  return vipTraffic(vips, table);
}

// One drain waits at a time: a second one is refused (exit 2), naming the first.
async function lockDrain(file: string): Promise<number> {
  ensureDrainDir(file);
  const taken = await takeFlock(drainLockPath(file), { waitMs: 0, what: 'drain lock' });
  if ('heldBy' in taken)
    throw new AgentError(
      `another rs-agent drain (pid ${taken.heldBy ?? 'unknown'}) is already waiting; ` +
        'wait for it, or stop it (Ctrl-C leaves the drain set) and run drain again',
    );
  return taken.fd;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

// Before `stop`: with --drain, or drain.on_stop in the config, the drain and its wait.
// Refused at once if a daemon guards the state dir (stop would be refused after the
// wait). A config that cannot be read only matters with --drain: without it stop
// needs no config, and drain.on_stop cannot be known.
export async function drainBeforeStop(
  opts: AgentOptions,
  explicit: boolean,
  print: (line: string) => void,
): Promise<(DrainResult & { file: string }) | null> {
  let config: Config;
  try {
    config = await desiredConfig(opts);
  } catch (error) {
    if (explicit || !(error instanceof AgentError)) throw error;
    return null;
  }
  if (!explicit && !config.drain.onStop) return null;
  await refuseWhileDaemonRuns(opts.stateDir, 'stop');
  const result = await drain(opts, { wait: true, by: 'stop', print }, config);
  return { ...result, file: config.drain.file };
}

// After `stop`: a drain that stop set is lifted once the VIPs are gone (the next start
// pools the host again); an operator's drain stays until undrain.
export function liftStopDrain(result: { record: DrainRecord; file: string }): boolean {
  const now = readRecord(result.file);
  if (result.record.by !== 'stop' || now === null || 'problem' in now || now.id !== result.record.id) return false;
  removeDrain(result.file);
  return true;
}
