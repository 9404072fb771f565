import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { readAtMost } from '../config/read-file.js';
import { AgentError, describeError, isCode } from '../errors.js';
import { MAX_SCRIPT_BYTES, scriptTooLarge } from '../migrate/bounds.js';
import { printError, runCommand, type GlobalArgs } from './common.js';

// The YAML goes to stdout (redirect it into the config file); one summary line to stderr.
export async function importCommand(args: GlobalArgs & { file?: string | boolean; arg?: string[] }): Promise<void> {
  await runCommand(async () => {
    const { importScript, parseImportArgs } = await import('../migrate/import.js');
    // yargs hands a lone "-" over as true: stdin is not read, the script must be a file.
    if (typeof args.file !== 'string' || args.file === '')
      throw new AgentError('import: name the script file (stdin is not read)');
    const file = args.file;
    const values = parseImportArgs(args.arg ?? []);
    const { yaml, result } = importScript(readScript(file), file, values);
    if (process.stdout.writable) process.stdout.write(yaml);
    const notes = result.notes.length;
    const vips = result.vips.length;
    printError(
      `imported ${vips} VIP${vips === 1 ? '' : 's'} from ${file}` +
        `${notes ? `; ${notes} lines not translated or done differently (see the comments at the end)` : ''}`,
    );
    return 0;
  });
}

// Only a regular file: opening a FIFO or a device to read it could wait forever. The
// open does not block (O_NONBLOCK), and the type is checked on what was opened. A file
// over MAX_SCRIPT_BYTES is refused by its size, and no more than that is ever read.
function readScript(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new AgentError(
      `import: cannot read ${file}: ${isCode(error, 'ENOENT') ? 'no such file' : describeError(error)}`,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory()
        ? 'a directory'
        : stat.isFIFO()
          ? 'a FIFO'
          : stat.isSocket()
            ? 'a socket'
            : 'a device';
      throw new AgentError(`import: cannot read ${file}: is ${kind}, not a regular file (give the script file itself)`);
    }
    if (stat.size > MAX_SCRIPT_BYTES) throw scriptTooLarge(file, stat.size);
    const bytes = readAtMost(fd, MAX_SCRIPT_BYTES + 1);
    if (bytes.length > MAX_SCRIPT_BYTES) throw scriptTooLarge(file, bytes.length); // it grew since fstat
    return bytes.toString('utf8');
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(`import: cannot read ${file}: ${describeError(error)}`);
  } finally {
    closeSync(fd);
  }
}
