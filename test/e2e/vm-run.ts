// Runs vm/run-vm.sh to its end, for both VM suites: the console to a log file (and to stderr
// with E2E_VERBOSE=1), the environment passed through. A VM that hangs is killed and the run
// fails with the console's tail: vitest's own timeout would leave it running, orphaned, taking
// the CPU of whatever runs next. A hang is silence, not time: every scenario prints as it goes
// (a step, a command's outcome, the kernel's boot messages), and its longest quiet stretch is a
// few minutes on a busy machine, so a console silent for SILENCE_S is a hang. A run that keeps
// printing may take as long as the machine makes it, up to capSeconds: under TCG beside
// stress-ng --cpu 2 the LVS VM took 2.2 times its quiet length, past the fixed 29 minutes it
// was once given.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SILENCE_S = 10 * 60;

export async function runVm(
  resultsFile: string,
  consoleLog: string,
  env: NodeJS.ProcessEnv,
  capSeconds: number,
): Promise<void> {
  const log = createWriteStream(consoleLog);
  const child = spawn(join(here, 'vm', 'run-vm.sh'), [resultsFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let why = '';
  const kill = (reason: string) => {
    why = reason;
    child.kill('SIGKILL');
  };
  let silence = setTimeout(() => kill(`silent for ${SILENCE_S} s`), SILENCE_S * 1000);
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (process.env.E2E_VERBOSE === '1') process.stderr.write(chunk);
      clearTimeout(silence);
      silence = setTimeout(() => kill(`silent for ${SILENCE_S} s`), SILENCE_S * 1000);
    });
  }
  const cap = setTimeout(() => kill(`still running after ${capSeconds} s`), capSeconds * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  clearTimeout(silence);
  clearTimeout(cap);
  await new Promise((resolve) => log.end(resolve));
  if (code !== 0) {
    throw new Error(
      `run-vm.sh exited ${code}${why ? ` (killed: ${why})` : ''}; console log: ${consoleLog}\n${consoleTail(consoleLog)}`,
    );
  }
}

// The console's last 40 lines (the serial port ends lines with \r\n).
export function consoleTail(file: string): string {
  return readFileSync(file, 'utf8').replaceAll('\r', '').split('\n').slice(-40).join('\n');
}
