import { readFileSync } from 'node:fs';
import { AgentError, describeError, isCode } from '../errors.js';
import { runCommand, type GlobalArgs } from './common.js';

// The YAML goes to stdout (redirect it into the config file); one summary line to stderr.
export async function importCommand(args: GlobalArgs & { file?: string }): Promise<void> {
  await runCommand(async () => {
    const { importScript } = await import('../migrate/import.js');
    const file = args.file ?? '';
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = isCode(error, 'ENOENT') ? 'no such file' : isCode(error, 'EISDIR') ? 'is a directory' : describeError(error);
      throw new AgentError(`import: cannot read ${file}: ${reason}`);
    }
    const { yaml, result } = importScript(text, file);
    if (process.stdout.writable) process.stdout.write(yaml);
    const notes = result.notes.length;
    const vips = result.vips.length;
    process.stderr.write(`rs-agent: imported ${vips} VIP${vips === 1 ? '' : 's'} from ${file}` +
      `${notes ? `; ${notes} lines not translated or done differently (see the comments at the end)` : ''}\n`);
    return 0;
  });
}
