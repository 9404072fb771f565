import { execa } from 'execa';
import { CLI, type CliResult } from './netns.js';

// The built CLI in this process's own namespace, for commands that touch no network
// state (install --root into a temp tree, import, validate).
export async function runCli(args: string[]): Promise<CliResult> {
  const r = await execa(process.execPath, [CLI, ...args], { reject: false });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}
