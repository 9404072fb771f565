import { agentOptions, print, runCommand, type GlobalArgs } from './common.js';
import { reportOutcomes, reportProblems } from './report.js';

export async function startCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { start } = await import('../agent.js');
    const result = await start(await agentOptions(args));
    if (result.changes.length === 0 && result.problems.length === 0) print('in sync: nothing to change');
    const status = reportOutcomes(result.outcomes);
    return reportProblems(result.problems) ? 2 : status;
  });
}

export async function stopCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { stop } = await import('../agent.js');
    const result = await stop(await agentOptions(args));
    if (result.changes.length === 0) print('nothing to undo');
    return reportOutcomes(result.outcomes);
  });
}
