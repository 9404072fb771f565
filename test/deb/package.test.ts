import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Debian package as npm run package:deb builds it (from the bundle npm test built),
// inspected with dpkg-deb and lintian, and run from its own files. It is never installed
// into this machine's root: an overlay in a private mount namespace shows its /usr and
// /etc over the machine's to the commands under test, and nothing else.

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = `${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}-1`;
let out: string;
let deb: string;
let tree: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'rsa-deb-'));
  await execa(process.execPath, [join(ROOT, 'deb/build.mjs'), out]);
  deb = join(out, `rs-agent_${VERSION}_all.deb`);
  tree = join(out, 'tree');
  await execa('dpkg-deb', ['-x', deb, tree]);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

// A shell script run with the package's /usr and /etc laid over the machine's.
async function installed(script: string, layers: { usr?: string; etc?: string } = {}) {
  const usr = layers.usr ?? join(tree, 'usr');
  const etc = layers.etc ?? join(tree, 'etc');
  return execa(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-euc',
      `mount -t overlay overlay -o lowerdir=${usr}:/usr /usr; mount -t overlay overlay -o lowerdir=${etc}:/etc /etc; cd /; ${script}`,
    ],
    { reject: false },
  );
}

describe('npm run package:deb', () => {
  it('control: the name, version, arch-independence and the dependencies', async () => {
    const field = async (name: string) => (await execa('dpkg-deb', ['-f', deb, name])).stdout;
    expect(await field('Package')).toBe('rs-agent');
    expect(await field('Version')).toBe(VERSION);
    expect(await field('Architecture')).toBe('all');
    expect(await field('Depends')).toBe('nodejs (>= 20.19), iproute2, kmod, adduser');
    expect(await field('Recommends')).toBe('nftables');
    const info = (await execa('dpkg-deb', ['-I', deb])).stdout;
    expect(info).toMatch(/\bconffiles\b/);
    expect(info).toMatch(/\bpostinst\b[\s\S]*\bpostrm\b[\s\S]*\bprerm\b/);
  });

  it('the example config is the one conffile, and md5sums covers every other file', async () => {
    const control = join(out, 'control');
    await execa('dpkg-deb', ['-e', deb, control]);
    expect(readFileSync(join(control, 'conffiles'), 'utf8')).toBe('/etc/rs-agent/rs-agent.yaml\n');
    expect(readFileSync(join(tree, 'etc/rs-agent/rs-agent.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'examples/rs-agent.yaml'), 'utf8'),
    );
    const sums = readFileSync(join(control, 'md5sums'), 'utf8');
    expect(sums).not.toContain('etc/rs-agent');
    const check = await execa('md5sum', ['--check', '--strict', '--quiet', join(control, 'md5sums')], {
      cwd: tree,
      reject: false,
    });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
    const listed = (await execa('dpkg-deb', ['-c', deb])).stdout.split('\n').filter((l) => l.startsWith('-')).length;
    expect(sums.trimEnd().split('\n')).toHaveLength(listed - 1);
  });

  it('lays the files out where Debian puts them, owned by root', async () => {
    const listing = (await execa('dpkg-deb', ['-c', deb])).stdout.split('\n');
    const entry = (path: string) => listing.find((l) => l.endsWith(` ./${path}`));
    for (const [path, mode] of [
      ['usr/bin/rs-agent', '-rwxr-xr-x'],
      ['usr/lib/rs-agent/dist/cli/main.js', '-rwxr-xr-x'],
      ['usr/lib/rs-agent/dist/cli/package.json', '-rw-r--r--'],
      ['usr/lib/rs-agent/dist/cli/help.txt', '-rw-r--r--'],
      ['usr/lib/rs-agent/dist/cli/rs-agent.js', '-rw-r--r--'],
      ['usr/lib/rs-agent/dist/cli/rs-agent.js.map', '-rw-r--r--'],
      ['usr/lib/rs-agent/package.json', '-rw-r--r--'],
      ['usr/lib/rs-agent/node_modules/yargs/package.json', '-rw-r--r--'],
      ['usr/lib/rs-agent/node_modules/etcd3/package.json', '-rw-r--r--'],
      ['usr/lib/rs-agent/node_modules/cockatiel/package.json', '-rw-r--r--'],
      ['lib/systemd/system/rs-agent.service', '-rw-r--r--'],
      ['lib/systemd/system/rs-agent-watch.service', '-rw-r--r--'],
      ['lib/systemd/system/rs-agent-check.service', '-rw-r--r--'],
      ['lib/systemd/system/rs-agent-check.timer', '-rw-r--r--'],
      ['etc/rs-agent/rs-agent.yaml', '-rw-r--r--'],
      ['usr/share/man/man8/rs-agent.8.gz', '-rw-r--r--'],
      ['usr/share/man/man5/rs-agent.yaml.5.gz', '-rw-r--r--'],
      ['usr/share/bash-completion/completions/rs-agent', '-rw-r--r--'],
      ['usr/share/doc/rs-agent/copyright', '-rw-r--r--'],
      ['usr/share/doc/rs-agent/changelog.Debian.gz', '-rw-r--r--'],
      ['usr/share/doc/rs-agent/examples/prometheus/rs-agent.rules.yml', '-rw-r--r--'],
    ]) {
      expect(entry(path as string), path).toMatch(new RegExp(`^${mode} root/root `));
    }
    expect(listing.every((l) => / root\/root /.test(l))).toBe(true);
    // Nothing of the dependencies' that nothing reads at run time: docs, TypeScript (sources
    // and declarations), source maps.
    expect(listing.filter((l) => /node_modules\/.*(README|\.md$|\.[cm]?ts$|\.map$)/.test(l))).toEqual([]);
  });

  it('the units run /usr/bin/rs-agent, which runs the bundle with /usr/bin/node', () => {
    for (const [unit, exec] of [
      ['rs-agent.service', 'start'],
      ['rs-agent-watch.service', 'run'],
      ['rs-agent-check.service', 'check --fix'],
    ]) {
      const text = readFileSync(join(tree, 'lib/systemd/system', unit as string), 'utf8');
      expect(text).toContain(`\nExecStart=/usr/bin/rs-agent ${exec}\n`);
      expect(text).not.toContain('/usr/local/bin');
    }
    expect(readFileSync(join(tree, 'lib/systemd/system/rs-agent.service'), 'utf8')).toContain(
      '\nExecStop=/usr/bin/rs-agent stop\n',
    );
    expect(readFileSync(join(tree, 'usr/bin/rs-agent'), 'utf8')).toBe(
      '#!/bin/sh\nexec /usr/bin/node /usr/lib/rs-agent/dist/cli/main.js "$@"\n',
    );
  });

  it('lintian: no error, and no warning that is not overridden with a reason', async () => {
    const r = await execa('lintian', ['--fail-on', 'error,warning', '--display-info', deb], { reject: false });
    expect(r.stdout.split('\n').filter((l) => /^[EW]: /.test(l))).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('two builds of the same tree are the same bytes', async () => {
    const again = mkdtempSync(join(tmpdir(), 'rsa-deb-again-'));
    try {
      await execa(process.execPath, [join(ROOT, 'deb/build.mjs'), again]);
      expect(readFileSync(join(again, `rs-agent_${VERSION}_all.deb`)).equals(readFileSync(deb))).toBe(true);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});

describe('the installed package', () => {
  it('/usr/bin/rs-agent --version, --help and validate work from its own files and the shipped config', async () => {
    const r = await installed('rs-agent --version; rs-agent --help | head -1; rs-agent validate');
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      VERSION.replace(/-1$/, ''),
      'rs-agent <command> [options]',
      '/etc/rs-agent/rs-agent.yaml: valid: 3 VIPs (2 dr, 1 tun)',
    ]);
  });

  it("a command's --help comes from the shipped yargs: without /usr/lib/rs-agent/node_modules it fails", async () => {
    const usr = join(out, 'usr-without-modules');
    await execa('cp', ['-a', join(tree, 'usr'), usr]);
    rmSync(join(usr, 'lib/rs-agent/node_modules'), { recursive: true });
    const r = await installed('rs-agent check --help', { usr });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot find module 'yargs'/);
    // --version and --help print what the build had yargs print (dist/cli/help.txt).
    const plain = await installed('rs-agent --version; rs-agent --help | head -1', { usr });
    expect([plain.stdout, plain.stderr]).toEqual([`${VERSION.replace(/-1$/, '')}\nrs-agent <command> [options]`, '']);
  });

  it('fleet status reads a real etcd with the shipped etcd3 and cockatiel (loaded only on the fleet path)', async () => {
    // etcd and the agent share a private network namespace of their own: its lo only.
    const dir = join(out, 'fleet');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'rs-agent.yaml'),
      `source:\n  etcd:\n    endpoints: [http://127.0.0.1:2379]\n    insecure: true\n    cache: ${dir}/cache.json\nhost: rs1\n`,
    );
    const r = await installed(`unshare --net sh -euc '
      ip link set lo up
      etcd --name t --data-dir ${dir}/etcd --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \\
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \\
        --initial-cluster t=http://127.0.0.1:2380 --log-level error >${dir}/etcd.log 2>&1 &
      trap "kill -9 $!" EXIT
      until ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2379 put /elsewhere x >/dev/null 2>&1; do sleep 0.1; done
      rs-agent fleet status --config ${dir}/rs-agent.yaml'`);
    expect(r.stderr).toBe('');
    // No host has reported: the store was read (exit 1 says the fleet is not in sync, 2 would be an error).
    expect(r.stdout.split('\n').at(-1)).toBe('0 hosts at store revision 2: no host has reported');
    expect(r.exitCode).toBe(1);
  });

  it('only the fleet path loads the etcd client: without etcd3 and cockatiel, validate still works', async () => {
    const usr = join(out, 'usr-without-etcd');
    await execa('cp', ['-a', join(tree, 'usr'), usr]);
    for (const name of ['etcd3', 'cockatiel'])
      rmSync(join(usr, 'lib/rs-agent/node_modules', name), { recursive: true });
    const r = await installed('rs-agent validate', { usr });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/etc/rs-agent/rs-agent.yaml: valid: 3 VIPs (2 dr, 1 tun)');
  });

  it('rs-agent install writes only the boot files: the package has its units in /lib/systemd/system already', async () => {
    const root = join(out, 'install-root');
    const r = await installed(`rs-agent install --root ${root}`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('wrote '))).toEqual([
      `wrote ${root}/etc/sysctl.d/90-rs-agent.conf`,
      `wrote ${root}/etc/modules-load.d/rs-agent.conf`,
    ]);
    expect(r.stdout).toContain('the Debian package ships its units in /lib/systemd/system');
  });

  it('its units pass systemd-analyze verify, /usr/bin/rs-agent in place', async () => {
    const units = ['rs-agent.service', 'rs-agent-watch.service', 'rs-agent-check.service', 'rs-agent-check.timer']
      .map((u) => join(tree, 'lib/systemd/system', u))
      .join(' ');
    const r = await installed(`systemd-analyze verify --man=no ${units}`);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it.each(['man8/rs-agent.8.gz', 'man5/rs-agent.yaml.5.gz'])(
    'its man page %s renders without a warning',
    async (page) => {
      const r = await execa('man', ['--warnings', '-l', join(tree, 'usr/share/man', page)], {
        reject: false,
        env: { LC_ALL: 'C.UTF-8', MANWIDTH: '100' },
      });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(page.startsWith('man5') ? 'source.etcd.tls.key' : 'fleet status');
    },
  );
});

describe('dpkg with the package, in a throwaway copy of this machine', () => {
  // dpkg itself, with its real maintainer-script helpers, in a private mount namespace
  // where /usr, /etc and /var are overlays whose changes land in a temp dir and /run is
  // a fresh tmpfs without systemd running: the machine's own root never changes.
  async function dpkgSession(steps: string) {
    const dir = join(out, `dpkg-${Math.random().toString(36).slice(2)}`);
    const script = [
      'set -eu',
      `for d in usr etc var; do mkdir -p ${dir}/$d-up ${dir}/$d-work; mount -t overlay overlay -o lowerdir=/$d,upperdir=${dir}/$d-up,workdir=${dir}/$d-work /$d; done`,
      'mount -t tmpfs tmpfs /run',
      'cd /',
      steps,
    ].join('\n');
    return execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { reject: false });
  }
  const WANTS = '/etc/systemd/system/multi-user.target.wants/rs-agent.service';

  it('install makes the system user and enables nothing; a modified conffile survives remove; purge takes it, the enable links and the user', async () => {
    const r = await dpkgSession(`
      dpkg -i ${deb} >/dev/null
      echo "version: $(rs-agent --version)"
      getent passwd rs-agent | cut -d: -f6,7
      test "$(id -u rs-agent)" -lt 1000 && echo "a system user"
      test -e ${WANTS} && echo "enabled on install" || echo "not enabled on install"
      systemctl enable rs-agent.service 2>/dev/null
      dpkg -i ${deb} >/dev/null
      test -e ${WANTS} && echo "still enabled after upgrade"
      echo 'vips: [192.0.2.99]' > /etc/rs-agent/rs-agent.yaml
      dpkg -r rs-agent >/dev/null
      echo "after remove: $(cat /etc/rs-agent/rs-agent.yaml), $(dpkg-query -W -f='\${Status}' rs-agent)"
      test -e /usr/bin/rs-agent || echo "program gone"
      dpkg -P rs-agent >/dev/null
      test -e /etc/rs-agent || echo "config gone"
      test -e ${WANTS} || echo "enable link gone"
      getent passwd rs-agent || echo "user gone"`);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      `version: ${VERSION.replace(/-1$/, '')}`,
      '/nonexistent:/usr/sbin/nologin',
      'a system user',
      'not enabled on install',
      'still enabled after upgrade',
      'after remove: vips: [192.0.2.99], deinstall ok config-files',
      'program gone',
      'config gone',
      'enable link gone',
      'user gone',
    ]);
  }, 120_000);
});
