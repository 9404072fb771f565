import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';

export async function planCommand(args: GlobalArgs & { json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const [{ planStart }, { formatChange }] = await Promise.all([import('../agent.js'), import('../render/change.js')]);
    const { changes } = await planStart(await agentOptions(args));
    if (args.json) printJson({ changes });
    else if (changes.length === 0) print('nothing to change: the host is in sync');
    else changes.forEach((c) => print(formatChange(c)));
    return 0;
  });
}
