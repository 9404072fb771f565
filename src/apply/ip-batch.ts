import type { ChangeBase } from '../model/change.js';
import type { Execution } from '../objects/kind.js';
import { kindOf } from '../objects/registry.js';
import { inputFile } from '../system/exclusive-file.js';

// `ip` reads the batch from a file rather than a pipe: if rs-agent is killed while
// feeding a pipe, ip still runs the last line it got, cut anywhere, and a cut
// `route del 192.0.2.10/32 dev lo` is `route del 192.0.2.1`, someone else's route.
// A file is complete before ip starts. It is given as stdin ("-"), a private file
// already unlinked (system/exclusive-file.ts's inputFile): ip never opens a path that
// someone could have replaced.
export const IP_BATCH_ARGV: readonly string[] = ['ip', '-force', '-batch', '-'];

// The batch for IP_BATCH_ARGV, as the descriptor to give ip as its stdin.
export function ipBatchInput(dir: string, changes: readonly ChangeBase[]): number {
  return inputFile(dir, 'ip-batch', changes.map((c) => `${ipBatchLine(c)}\n`).join(''));
}

type IpExecution = Extract<Execution<ChangeBase>, { via: 'ip' }>;

function ipExecution(change: ChangeBase): IpExecution {
  const execute = kindOf(change).execute;
  if (execute.via !== 'ip') throw new Error(`${change.kind} changes do not go through ip`);
  return execute;
}

// The change's `ip -batch` line, as its kind writes it.
export function ipBatchLine(change: ChangeBase): string {
  return ipExecution(change).line(change);
}

// `ip -force -batch FILE` runs every line and, for each that fails, prints the kernel's
// message followed by "Command failed FILE:N" ("-:N" when it reads stdin, as here).
// Returns the message for each failed line.
export function parseBatchErrors(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const marker = /^Command failed .*:(\d+)$/.exec(line);
    if (marker) {
      failures.set(Number(marker[1]), pending.join('; ') || 'failed');
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return failures;
}

// The kernel's error means it is already where the change was taking it (something else
// got there between observe and apply): the change counts as done. iproute2 6.x with
// extended acks prints "Error: ipv4: Address not found." instead of the bare errno text.
export function isAlreadyDone(change: ChangeBase, message: string): boolean {
  return ipExecution(change).alreadyDone?.(change, message) ?? false;
}

// What a kernel error means in the operator's terms, where errno alone does not say.
export function batchErrorHint(change: ChangeBase, message: string): string {
  return ipExecution(change).hint?.(change, message) ?? '';
}
