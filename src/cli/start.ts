import { agentOptions, print, runCommand, type GlobalArgs } from './common.js';
import { reportConflicts, reportOutcomes } from './report.js';

export async function startCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { start } = await import('../agent.js');
    const result = await start(await agentOptions(args));
    if (result.changes.length === 0 && result.conflicts.length === 0) print('in sync: nothing to change');
    const status = reportOutcomes(result.outcomes, result.error);
    return reportConflicts(result.conflicts) || status;
  });
}

export async function stopCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { stop } = await import('../agent.js');
    const result = await stop(await agentOptions(args));
    if (result.changes.length === 0) print('nothing to undo');
    return reportOutcomes(result.outcomes, result.error);
  });
}
