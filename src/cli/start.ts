import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';
import { reportOutcomes } from './report.js';

export async function startCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { start } = await import('../agent.js');
    const result = await start(await agentOptions(args));
    if (result.changes.length === 0) print('in sync: nothing to change');
    return reportOutcomes(result.outcomes);
  });
}

export async function stopCommand(args: GlobalArgs & { json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const { stop } = await import('../agent.js');
    const result = await stop(await agentOptions(args));
    if (args.json) {
      printJson({ outcomes: result.outcomes, kept: result.kept ?? [] });
      return result.ok ? 0 : 2;
    }
    if (result.changes.length === 0 && (result.kept ?? []).length === 0) print('nothing to undo');
    const status = reportOutcomes(result.outcomes);
    const { formatKept } = await import('../render/change.js');
    for (const k of result.kept ?? []) print(formatKept(k));
    return status;
  });
}
