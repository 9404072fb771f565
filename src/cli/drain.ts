import { AgentError } from '../errors.js';
import { escapeText } from '../render/escape.js';
import { agentOptions, print, printError, runCommand, type GlobalArgs } from './common.js';

// `rs-agent drain`: exit 0 drained (or set, with --no-wait), 1 at the timeout or when
// undrain lifted it meanwhile, 2 on error. `rs-agent undrain`: 0 undrained, 1 when there
// was no drain.
export async function drainCommand(args: GlobalArgs & { timeout?: string; wait?: boolean }): Promise<void> {
  await runCommand(async () => {
    const [{ drain }, { durationMs }] = await Promise.all([import('../drain/drain.js'), import('../config/drift.js')]);
    const timeoutMs =
      args.timeout === undefined
        ? undefined
        : durationMs(
            /^\d+(\.\d+)?$/.test(args.timeout) ? Number(args.timeout) : args.timeout,
            '--timeout',
            (path, detail) => {
              throw new AgentError(`${path}: ${detail}`);
            },
            { min: 0, max: 86_400_000 },
          );
    const result = await drain(await agentOptions(args), {
      wait: args.wait !== false,
      by: 'operator',
      timeoutMs,
      print,
    });
    if (result.outcome === 'set') {
      print(
        `${result.line} (since ${result.record.since}); "rs-agent drain" without --no-wait waits for the connections`,
      );
      return 0;
    }
    if (result.outcome === 'drained') {
      print(result.line);
      return 0;
    }
    const what = result.outcome === 'timeout' ? 'drain timed out' : 'drain cancelled';
    printError(`${what}: ${result.line}; the drain stays set (rs-agent undrain lifts it)`);
    return 1;
  });
}

export async function undrainCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { undrain } = await import('../drain/drain.js');
    const { record, storeKey, stale } = await undrain(await agentOptions(args));
    const since = record
      ? ` (drained since ${record.since})`
      : stale
        ? " (a store's drain left behind, and the config names no store to lift it)"
        : ' (its record was damaged)';
    if (storeKey) {
      print(
        `undrained by rs-agent drain${since}, but the store still drains this host (etcd key ${escapeText(storeKey)}): ` +
          'the health endpoint answers 503 until that key is deleted',
      );
      return 0;
    }
    print(`undrained${since}: the health endpoint answers 200 again while the host is in sync`);
    return 0;
  });
}
