import { agentOptions, print, runCommand, type GlobalArgs } from './common.js';
import { reportOutcomes } from './report.js';

export async function startCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { start } = await import('../agent.js');
    const result = await start(await agentOptions(args));
    if (result.changes.length === 0) print('in sync: nothing to change');
    return reportOutcomes(result.outcomes);
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
