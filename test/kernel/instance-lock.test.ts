import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

// One daemon per state directory: a second `rs-agent run` and a `stop` typed while
// the daemon runs would fight it (the daemon puts back what they take away).

let ns: TestNamespace;
const daemons: Daemon[] = [];
beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig('vips: [192.0.2.10]\n');
});
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.kill(ns);
  await ns.destroy();
});

async function startDaemon(): Promise<Daemon> {
  const d = new Daemon(ns);
  daemons.push(d);
  await d.waitFor((l) => l.event === 'ready');
  return d;
}

const vipsOnLo = async () => (await ns.addresses('lo')).map((a) => a.local);

describe('one daemon per state directory', () => {
  it('a second run refuses at once, exit 2, naming the first', async () => {
    const first = await startDaemon();
    const second = new Daemon(ns);
    daemons.push(second);
    expect(await second.exit()).toMatchObject({ exitCode: 2 });
    expect(second.stderr).toBe(
      `rs-agent: another rs-agent run (pid ${first.pid}) already runs on ${ns.stateDir} (it holds ${ns.stateDir}/run.lock); one daemon per state directory\n`,
    );
    expect(second.lines).toEqual([]);
    // The first goes on guarding.
    first.signal('SIGTERM');
    expect(await first.exit()).toMatchObject({ exitCode: 0 });
    // Once it is gone, a new daemon may start.
    const third = await startDaemon();
    third.signal('SIGTERM');
    expect(await third.exit()).toMatchObject({ exitCode: 0 });
  });

  it('stop is refused while the daemon runs, changing nothing, and works once it has stopped', async () => {
    const d = await startDaemon();
    const refused = await ns.cli(['stop']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      `rs-agent: stop: rs-agent run (pid ${d.pid}) runs on ${ns.stateDir} and would put everything back; stop it first (systemctl stop rs-agent stops the daemon, then runs rs-agent stop)`,
    );
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
    // start and check --fix converge to the same config: allowed beside the daemon.
    expect(await ns.cli(['start'])).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await ns.cli(['check', '--fix'])).toMatchObject({ exitCode: 0 });
    d.signal('SIGTERM');
    expect(await d.exit()).toMatchObject({ exitCode: 0 });
    expect(await ns.cli(['stop'])).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await vipsOnLo()).toEqual(['127.0.0.1']);
  });
});
