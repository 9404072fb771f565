import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';
import { reportOutcomes } from './report.js';

// Exit 0: in sync (after repair, with --fix). 1: drift. 2: error, or a repair failed.
export async function checkCommand(args: GlobalArgs & { json?: boolean; fix?: boolean }): Promise<void> {
  await runCommand(async () => {
    const [{ check }, { formatDrift }, { describeConflict }] = await Promise.all([
      import('../agent.js'),
      import('../render/change.js'),
      import('../plan/conflicts.js'),
    ]);
    const result = await check(await agentOptions(args), Boolean(args.fix));
    const failed = result.repair ? !result.repair.ok : false;
    const inSync = result.remaining.length === 0 && result.conflicts.length === 0 && result.problems.length === 0;
    const status = failed ? 2 : inSync ? 0 : 1;
    if (args.json) {
      printJson({
        inSync,
        drift: result.drift,
        conflicts: result.conflicts,
        problems: result.problems,
        ...(result.repair ? { repair: result.repair.outcomes, remaining: result.remaining } : {}),
      });
      return status;
    }
    // Never repaired: the address on the NIC is not rs-agent's to remove.
    for (const conflict of result.conflicts) print(`drift: ${describeConflict(conflict)}`);
    // Nothing to repair here either: the device is missing; the daemon acts when it appears.
    for (const problem of result.problems) print(`drift: ${problem.message}`);
    if (result.drift.length === 0) {
      if (inSync) print('in sync');
      return status;
    }
    for (const change of result.drift) print(`drift: ${formatDrift(change)}`);
    if (result.repair) {
      reportOutcomes(result.repair.outcomes, result.repair.error, result.repair.held);
      if (result.remaining.length === 0)
        print(`repaired: ${result.drift.length} drifted items${inSync ? ', now in sync' : ''}`);
      else for (const change of result.remaining) print(`still drifted: ${formatDrift(change)}`);
    }
    return status;
  });
}
