import { execa } from 'execa';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonStats } from '../../src/daemon/stats.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { HostileUser, ROOT_ONLY, rootOnlyFile } from '../helpers/hostile-user.js';
import { TestNamespace } from '../helpers/netns.js';

// The metrics file's directory (node_exporter's textfile directory) in the hands of an
// unprivileged user, made real with useradd and setpriv: `rs-agent run` (root) refuses
// it at start, and a directory that turns hostile later costs that one write (logged),
// never a write through a symlink the user planted.

let ns: TestNamespace;
let user: HostileUser;
let daemon: Daemon | null = null;
let secret: string;
const rootDirs: string[] = [];

function config(metricsFile: string): string {
  return `vips: [192.0.2.10]\ninterfaces: [eth0]\nmetrics: {file: ${metricsFile}}\n`;
}

// The daemon, ready, writing its metrics in a directory of root's under /tmp, mode 0755
// as a textfile directory is.
async function startWithRootDir(): Promise<{ dir: string; file: string; daemon: Daemon }> {
  const dir = mkdtempSync(join('/tmp', 'rsa-metrics-'));
  chmodSync(dir, 0o755);
  rootDirs.push(dir);
  const file = join(dir, 'rs-agent.prom');
  ns.writeConfig(config(file));
  daemon = new Daemon(ns);
  await daemon.waitFor((l) => l.event === 'ready');
  expect(readFileSync(file, 'utf8')).toMatch(/^rs_agent_in_sync 1$/m);
  return { dir, file, daemon };
}

beforeEach(async () => {
  ns = await TestNamespace.create();
  user = await HostileUser.create();
  secret = rootOnlyFile(ns.dir);
});
afterEach(async () => {
  await daemon?.kill(ns);
  daemon = null;
  await ns.destroy();
  await user.remove();
  for (const dir of rootDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('metrics.file in a directory another user owns', () => {
  it('rs-agent run refuses it at start (exit 2), naming the key, the directory, its owner and mode', async () => {
    const dir = await user.makeDir(0o755);
    const file = join(dir, 'rs-agent.prom');
    ns.writeConfig(config(file));
    // The temp name the daemon used to write, with the pid it will have (sh execs it in place).
    const plant = user.symlinksBeforeCli(secret, [`${file}.$$.tmp`]);
    const r = await execa('ip', ns.cliArgv(['run'], plant), { reject: false, timeout: 15_000 });
    expect(readFileSync(secret, 'utf8')).toBe(ROOT_ONLY);
    expect(r.stderr).toBe(
      `rs-agent: config ${ns.configPath}: metrics.file: "${file}": ${dir} is owned by uid ${user.uid} (${user.name}) ` +
        'and mode 0755: it must be owned by root and writable by no one else',
    );
    expect(r.exitCode).toBe(2);
    expect(await ns.addresses('lo')).toEqual([{ local: '127.0.0.1', prefixlen: 8, label: 'lo' }]);
  });

  it('a directory that turns hostile while the daemon runs: that write is refused and logged, no link followed', async () => {
    const { dir, file, daemon: d } = await startWithRootDir();

    // The directory given away; its new owner plants a symlink at the old temp name and
    // at the file itself. (A pass may come before the VIP's deletion asks for one: a
    // failed write is logged once, whichever pass meets it first.)
    const mark = d.lines.length;
    await execa('chown', [`${user.uid}:${user.gid}`, dir]);
    await user.run(['ln', '-s', secret, `${file}.${d.pid}.tmp`]);
    await user.run(['ln', '-sf', secret, `${file}.new`]);
    await user.run(['mv', '-f', `${file}.new`, file]);
    await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
    await d.waitFor((l) => l.event === 'repair', 5_000, mark);
    // The pass's writes follow its repair: either refused (logged) or through the link.
    const wrote = () => d.lines.slice(mark).some((l) => l.event === 'write-failed');
    await eventually(async () => wrote() || readFileSync(secret, 'utf8') !== ROOT_ONLY);
    expect(readFileSync(secret, 'utf8')).toBe(ROOT_ONLY);
    const failed = await d.waitFor((l) => l.event === 'write-failed', 5_000, mark);
    expect(failed).toMatchObject({
      level: 'error',
      message: `cannot write ${file}: ${dir} is owned by uid ${user.uid} (${user.name}) and mode 0755: it must be owned by root and writable by no one else`,
    });
    // Everything else goes on: the VIP is back, the status file (in the state dir) still
    // written, counting the repair (the first pass's add was a change, not a repair).
    expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.10');
    const repairs = () => (JSON.parse(readFileSync(join(ns.stateDir, 'daemon.json'), 'utf8')) as DaemonStats).repairs;
    expect(await eventually(async () => repairs().address === 1)).toBe(true);
  });
});

describe("metrics.file in root's directory", () => {
  it('mode 0755: the daemon writes it, mode 0644, readable by node_exporter', async () => {
    const { file, daemon: d } = await startWithRootDir();
    expect((statSync(file).mode & 0o777).toString(8)).toBe('644');
    expect(d.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
