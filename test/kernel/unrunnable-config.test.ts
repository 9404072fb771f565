import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, TestNamespace } from '../helpers/netns.js';

// Settings every command used to accept that `rs-agent run` could not run: each is now
// a config error naming the key (exit 2) in `validate` and `run`, before anything changes.

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

describe('a schedule node-cron cannot run', () => {
  it('validate and run refuse "* * 31 2 *" (there is no 31 February), naming the key; run changes nothing', async () => {
    ns.writeConfig('vips: [192.0.2.10]\ndrift: {schedule: "* * 31 2 *"}\n');
    const error =
      `rs-agent: config ${ns.configPath}: drift.schedule: "* * 31 2 *" cannot be run: node-cron, which runs it, ` +
      'says: 31 2 is an impossible day of month for the given month';
    expect(await ns.cli(['validate'])).toEqual({ exitCode: 2, stdout: '', stderr: error });
    // Under Type=notify a run that never became ready was a start timeout and a restart loop.
    const run = await execa('ip', ns.cliArgv(['run']), { reject: false, timeout: 15_000 });
    expect(run.timedOut).toBe(false);
    expect({ exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: error,
    });
    expect(await ns.addresses('lo')).not.toContainEqual(expect.objectContaining({ local: '192.0.2.10' }));
  });
});

describe('the default host name', () => {
  // The CLI in a UTS namespace of its own whose host name is `name` (bytes as given).
  async function validateWithHostName(name: string, yaml: string) {
    const config = join(ns.dir, 'host.yaml');
    writeFileSync(config, yaml);
    const script = 'printf "%s" "$1" > /proc/sys/kernel/hostname && exec "$2" "$3" validate --config "$4"';
    const r = await execa('unshare', ['--uts', 'sh', '-c', script, 'sh', name, process.execPath, CLI, config], {
      reject: false,
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  it('is checked like host: where a store uses it', async () => {
    const store = 'source: {etcd: {endpoints: ["https://192.0.2.1:2379"]}}\n';
    const r = await validateWithHostName('web 1/\u001b[2J', store);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `rs-agent: config ${join(ns.dir, 'host.yaml')}: host: is not set, and the system host name "web 1/\\u001b[2J" ` +
        "cannot stand in for it (letters, digits, '.', '-', '_': it is one segment of a store key); set host:",
    );
    expect((await validateWithHostName('web 1/\u001b[2J', `${store}host: web-1\n`)).exitCode).toBe(0);
    expect((await validateWithHostName('web-1.example', store)).exitCode).toBe(0);
    // allow-empty/all is the fleet's: a host named all would make its own the fleet's.
    const all = await validateWithHostName('all', store);
    expect(all.exitCode).toBe(2);
    expect(all.stderr).toContain('host: is not set, and the system host name "all" cannot stand in for it');
    // Without a store the host name is not used: nothing to refuse.
    expect((await validateWithHostName('web 1/x', 'vips: [192.0.2.10]\n')).exitCode).toBe(0);
  });
});
