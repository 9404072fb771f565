import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';
import { reportOutcomes } from './report.js';

// Exit 0: in sync (after repair, with --fix). 1: drift. 2: error, or a repair failed.
export async function checkCommand(args: GlobalArgs & { json?: boolean; fix?: boolean }): Promise<void> {
  await runCommand(async () => {
    const [{ check }, { formatDrift }] = await Promise.all([import('../agent.js'), import('../render/change.js')]);
    const result = await check(await agentOptions(args), Boolean(args.fix));
    const failed = result.repair ? result.repair.outcomes.some((o) => o.status !== 'applied') : false;
    const status = failed ? 2 : result.remaining.length > 0 ? 1 : 0;
    if (args.json) {
      printJson({
        inSync: result.remaining.length === 0,
        drift: result.drift,
        ...(result.repair ? { repair: result.repair.outcomes, remaining: result.remaining } : {}),
      });
      return status;
    }
    if (result.drift.length === 0) {
      print('in sync');
      return 0;
    }
    for (const change of result.drift) print(`drift: ${formatDrift(change)}`);
    if (result.repair) {
      reportOutcomes(result.repair.outcomes);
      if (result.remaining.length === 0) print(`repaired: ${result.drift.length} drifted items, now in sync`);
      else for (const change of result.remaining) print(`still drifted: ${formatDrift(change)}`);
    }
    return status;
  });
}
