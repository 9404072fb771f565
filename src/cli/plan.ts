import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';

export async function planCommand(args: GlobalArgs & { json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const { formatChange, formatKept } = await import('../render/change.js');
    const [{ planStart }, { reportConflicts, reportProblems }] = await Promise.all([
      import('../agent.js'),
      import('./report.js'),
    ]);
    const { changes, conflicts, problems, kept } = await planStart(await agentOptions(args));
    if (args.json) printJson({ changes, conflicts, problems, kept });
    else if (changes.length === 0 && conflicts.length === 0 && problems.length === 0)
      print('nothing to change: the host is in sync');
    else changes.forEach((c) => print(formatChange(c)));
    if (!args.json) kept.forEach((k) => print(formatKept(k)));
    // What start would leave out, and so its exit status.
    return Math.max(reportConflicts(conflicts), reportProblems(problems));
  });
}
