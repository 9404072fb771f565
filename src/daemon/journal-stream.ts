import { fstatSync } from 'node:fs';

// systemd sets JOURNAL_STREAM=<device>:<inode> for a service whose stdout or stderr is
// connected to journald (systemd.exec(5)). A child whose stdout was redirected elsewhere
// inherits the variable, so it counts only when stdout is that very stream.
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env, statStdout = () => fstatSync(1)): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const stat = statStdout();
    return String(stat.dev) === m[1] && String(stat.ino) === m[2];
  } catch {
    return false; // stdout closed
  }
}
