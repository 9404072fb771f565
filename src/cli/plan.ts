import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';

export async function planCommand(args: GlobalArgs & { json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const { formatChange, formatKept } = await import('../render/change.js');
    const { planStart, refuseConflicts } = await import('../agent.js');
    const snap = await planStart(await agentOptions(args));
    refuseConflicts(snap); // start would refuse: so does its plan
    const { changes, kept } = snap;
    if (args.json) printJson({ changes, kept });
    else if (changes.length === 0) print('nothing to change: the host is in sync');
    else changes.forEach((c) => print(formatChange(c)));
    if (!args.json) kept.forEach((k) => print(formatKept(k)));
    return 0;
  });
}
