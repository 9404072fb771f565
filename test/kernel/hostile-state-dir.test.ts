import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostileUser, ROOT_ONLY, rootOnlyFile } from '../helpers/hostile-user.js';
import { CLI, TestNamespace, type CliResult } from '../helpers/netns.js';

// A state directory an unprivileged user controls, named by --state-dir or
// RS_AGENT_STATE_DIR: rs-agent runs as root and writes there, and `ip` reads its batch
// from there. Each attack is made by a real user (useradd, setpriv), against the real CLI
// in a namespace: rs-agent must refuse (exit 2) naming the directory, its owner and mode,
// before it changes anything, and never write through what the user planted.

const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);

let ns: TestNamespace;
let user: HostileUser;
let pristine: string;
// A file only root may read or write: what a planted symlink points at.
let secret: string;

async function host(): Promise<string> {
  return [JSON.stringify(await ns.addresses('lo')), await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)])].join(
    '\n',
  );
}

// The real CLI in the namespace, run by `prefix`, with no --state-dir unless args name one.
async function cli(prefix: string[], args: string[]): Promise<CliResult> {
  const r = await execa(
    'ip',
    ['netns', 'exec', ns.name, ...prefix, process.execPath, CLI, ...args, '--config', ns.configPath],
    { reject: false, timeout: 15_000 },
  );
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function refusal(dir: string, mode: string, owner = `uid ${user.uid} \\(${user.name}\\)`): RegExp {
  return new RegExp(
    `^rs-agent: state directory ${dir} is owned by ${owner} and mode ${mode}: it must be owned by root and writable by no one else$`,
  );
}

async function expectUntouched(): Promise<void> {
  expect(readFileSync(secret, 'utf8')).toBe(ROOT_ONLY);
  expect(await host()).toBe(pristine);
}

beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
  user = await HostileUser.create();
  pristine = await host();
  secret = rootOnlyFile(ns.dir);
});
afterEach(async () => {
  // The user's processes first (a FIFO feeder still blocked): userdel refuses while any run.
  const pids = (await execa('ip', ['netns', 'pids', ns.name], { reject: false })).stdout.split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await ns.destroy();
  await user.remove();
});

describe('a state directory owned by another user', () => {
  it.each([['start'], ['stop'], ['check', '--fix'], ['run'], ['plan']])(
    '--state-dir: %s refuses it, exit 2',
    async (...command) => {
      const dir = await user.makeDir(0o755);
      const r = await cli([], [...command, '--state-dir', dir]);
      expect(r.stderr).toMatch(refusal(dir, '0755'));
      expect(r).toMatchObject({ exitCode: 2, stdout: '' });
      await expectUntouched();
    },
  );

  it('RS_AGENT_STATE_DIR: start refuses it, exit 2', async () => {
    const dir = await user.makeDir(0o777);
    const r = await cli(['env', `RS_AGENT_STATE_DIR=${dir}`], ['start']);
    expect(r.stderr).toMatch(refusal(dir, '0777'));
    expect(r).toMatchObject({ exitCode: 2, stdout: '' });
    await expectUntouched();
  });

  it("a missing state directory in the user's directory is not created", async () => {
    const parent = await user.makeDir(0o755);
    const dir = join(parent, 'state');
    const r = await cli([], ['start', '--state-dir', dir]);
    expect(r.stderr).toMatch(
      new RegExp(
        `^rs-agent: state directory ${dir}: ${parent} is owned by uid ${user.uid} \\(${user.name}\\) and mode 0755: it must be owned by root and writable by no one else$`,
      ),
    );
    expect(r.exitCode).toBe(2);
    expect(existsSync(dir)).toBe(false);
    await expectUntouched();
  });

  it("root's directory that the user's group may write is refused too", async () => {
    const dir = mkdtempSync(join('/tmp', 'rsa-group-'));
    try {
      await execa('chown', [`0:${user.gid}`, dir]);
      await execa('chmod', ['0770', dir]);
      const r = await cli([], ['start', '--state-dir', dir]);
      expect(r.stderr).toMatch(refusal(dir, '0770', 'uid 0 \\(root\\)'));
      expect(r.exitCode).toBe(2);
      await expectUntouched();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The temp names rs-agent used to write (state file, ip batch, nft file), each
  // `<name>.<pid>.tmp`: the user plants a symlink to a root-only file at each, with the
  // pid the CLI will have (sh execs it in place).
  it('symlinks planted at the old predictable temp names are not followed', async () => {
    const dir = await user.makeDir(0o755);
    const plant = user.symlinksBeforeCli(
      secret,
      ['state.json', 'ip-batch', 'nft'].map((name) => `${dir}/${name}.$$.tmp`),
    );
    const r = await cli(plant, ['start', '--state-dir', dir]);
    await expectUntouched();
    expect(r.stderr).toMatch(refusal(dir, '0755'));
    expect(r.exitCode).toBe(2);
  });

  // A FIFO at the batch file's name: the user drains what rs-agent writes into it, then
  // feeds `ip -batch` (running as root) a line of its own, which runs a command as root.
  it("a FIFO planted at the ip batch file's name cannot feed ip", async () => {
    const dir = await user.makeDir(0o755);
    const marker = join(ns.dir, 'ran-as-root');
    const fifo = `${dir}/ip-batch.$$.tmp`;
    const as = user.prefix.join(' ');
    const feed = `cat ${fifo} >/dev/null; printf 'netns exec ${ns.name} touch ${marker}\\n' > ${fifo}`;
    const plant = `${as} mkfifo -m 0600 ${fifo} || exit 99; (${as} sh -c "${feed}" </dev/null >/dev/null 2>&1 &); exec "$@"`;
    const r = await cli(['sh', '-c', plant, 'sh'], ['start', '--state-dir', dir]);
    expect(existsSync(marker)).toBe(false);
    await expectUntouched();
    expect(r.stderr).toMatch(refusal(dir, '0755'));
    expect(r.exitCode).toBe(2);
  });
});

describe("a state directory that is root's", () => {
  it('under /tmp (root-owned and sticky), mode 0700: start and stop work', async () => {
    const dir = mkdtempSync(join('/tmp', 'rsa-root-'));
    try {
      const start = await cli([], ['start', '--state-dir', dir]);
      expect(start).toMatchObject({ exitCode: 0, stderr: '' });
      expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.10');
      const stop = await cli([], ['stop', '--state-dir', dir]);
      expect(stop).toMatchObject({ exitCode: 0, stderr: '' });
      await expectUntouched();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing one is created, mode 0700, even under umask 000', async () => {
    const parent = join(ns.dir, 'run');
    mkdirSync(parent, { mode: 0o755 });
    const dir = join(parent, 'rs-agent', 'nested');
    const r = await cli(['sh', '-c', 'umask 000 && exec "$@"', 'sh'], ['start', '--state-dir', dir]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    for (const created of [join(parent, 'rs-agent'), dir]) {
      const stats = statSync(created);
      expect({ uid: stats.uid, mode: (stats.mode & 0o7777).toString(8) }).toEqual({ uid: 0, mode: '700' });
    }
    expect((await cli([], ['stop', '--state-dir', dir])).exitCode).toBe(0);
  });
});
