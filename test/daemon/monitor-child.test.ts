import { describe, expect, it } from 'vitest';
import { startMonitorChild } from '../../src/daemon/monitor-child.js';

// Why a monitor child ended, as the daemon logs it: real children started through setpriv
// --pdeathsig as the daemon starts `ip monitor`, each ending on its own.

function endOf(argv: string[]): Promise<string> {
  return new Promise((resolve) => {
    startMonitorChild({ onChange: () => {}, onExit: resolve, onJoined: () => {} }, argv);
  });
}

const sh = (script: string) => ['sh', '-c', script];

describe('a monitor child that ends', () => {
  it('exit 127 is "command not found" only when the command is missing', async () => {
    expect(await endOf(['rs-agent-no-such-command', 'monitor'])).toBe(
      'rs-agent-no-such-command monitor ended: rs-agent-no-such-command: command not found in PATH (install rs-agent-no-such-command)',
    );
  });

  it('exit 127 with something else said (setpriv refused a privilege step): what it said, and the status', async () => {
    const refused = 'echo "setpriv: activate capabilities: Operation not permitted" >&2; exit 127';
    expect(await endOf(sh(refused))).toBe(
      `sh -c ${refused} ended: setpriv: activate capabilities: Operation not permitted (exit status 127)`,
    );
  });

  it('what the child said is escaped and bounded: one line, at most 500 characters of it', async () => {
    const reason = await endOf(
      sh("printf 'a\\033[2Jb\\n<3>forged\\n' >&2; head -c 3000 /dev/zero | tr '\\0' x >&2; exit 1"),
    );
    expect(reason).not.toMatch(/[\n\u001b]/);
    expect(reason).toMatch(/ ended: x{500} \(exit status 1\)$/);
    const early = await endOf(sh("printf 'a\\033[2Jb\\n<3>forged' >&2; exit 2"));
    expect(early).toMatch(/ ended: a\\x1b\[2Jb\\n<3>forged \(exit status 2\)$/);
  });

  it('a child killed by a signal says so', async () => {
    expect(await endOf(sh('kill -KILL $$'))).toBe('sh -c kill -KILL $$ ended: signal SIGKILL');
  });
});
