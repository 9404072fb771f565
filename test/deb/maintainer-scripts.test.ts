import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../helpers/temp-dir.js';

// The maintainer scripts as dpkg runs them, with systemctl, deb-systemd-helper and
// deb-systemd-invoke replaced by stubs that record their calls. Each run is in a private
// mount namespace with a fresh tmpfs on /run, so "systemd is running"
// (/run/systemd/system) and the state dir are the test's own, never the machine's; there an
// overlay on /usr/bin puts a stub at /usr/bin/rs-agent, the path prerm runs.

const DEB = resolve(import.meta.dirname, '../../deb');
const UNITS = ['rs-agent.service', 'rs-agent-watch.service', 'rs-agent-check.timer'];
const tempDir = useTempDir('rsa-maint-');

interface Host {
  systemd?: boolean; // /run/systemd/system exists
  installed?: boolean; // deb-systemd-helper debian-installed answers yes
  enabled?: boolean; // deb-systemd-helper was-enabled answers yes
  state?: boolean; // /run/rs-agent/state.json exists (default: yes)
  stopExit?: number; // what /usr/bin/rs-agent exits with (0 also removes the state file, as stop does)
}

// Runs deb/<script> with args; returns the recorded calls and what is left in /run.
async function run(
  script: string,
  args: string[],
  host: Host = {},
): Promise<{ calls: string[]; run: string[]; stdout: string; stderr: string; exitCode: number }> {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(dir, 'ovl'), { recursive: true });
  writeFileSync(log, '');
  const stub = (answer: string) => `#!/bin/sh\necho "\${0##*/} $*" >> ${log}\n${answer}\nexit 0\n`;
  writeFileSync(join(bin, 'systemctl'), stub(''));
  writeFileSync(join(bin, 'deb-systemd-invoke'), stub(''));
  writeFileSync(
    join(bin, 'deb-systemd-helper'),
    stub(
      [
        `case "$1" in debian-installed) exit ${host.installed ? 0 : 1};; esac`,
        `case "$2" in was-enabled) exit ${host.enabled ? 0 : 1};; esac`,
      ].join('\n'),
    ),
  );
  writeFileSync(join(bin, 'adduser'), stub(''));
  writeFileSync(join(bin, 'deluser'), stub(''));
  for (const name of ['systemctl', 'deb-systemd-invoke', 'deb-systemd-helper', 'adduser', 'deluser'])
    chmodSync(join(bin, name), 0o755);
  const stop = host.stopExit ?? 0;
  writeFileSync(
    join(dir, 'rs-agent'),
    stub(stop === 0 ? 'rm -f /run/rs-agent/state.json' : `echo "rs-agent: stop: a stub that fails" >&2; exit ${stop}`),
  );
  chmodSync(join(dir, 'rs-agent'), 0o755);
  const setup = [
    'mount -t tmpfs tmpfs /var/lib',
    'mount -t tmpfs tmpfs /run',
    host.systemd === false ? '' : 'mkdir -p /run/systemd/system',
    `mount -n -t tmpfs tmpfs ${join(dir, 'ovl')}`,
    `mkdir ${dir}/ovl/upper ${dir}/ovl/work && cp ${dir}/rs-agent ${dir}/ovl/upper/`,
    `mount -n -t overlay overlay -o lowerdir=/usr/bin,upperdir=${dir}/ovl/upper,workdir=${dir}/ovl/work /usr/bin`,
    'mkdir -m 0700 /run/rs-agent',
    host.state === false ? '' : 'echo "{}" > /run/rs-agent/state.json',
    'mkdir -m 0700 /var/lib/rs-agent && echo "{}" > /var/lib/rs-agent/desired-cache.json',
    `PATH=${bin}:$PATH sh ${join(DEB, script)} ${args.join(' ')}`,
    'status=$?',
    'ls -A /run /var/lib >&2',
    '[ -d /run/rs-agent ] && ls -A /run/rs-agent | sed "s|^|/run/rs-agent/|" >&2',
    'exit $status',
  ]
    .filter(Boolean)
    .join('\n');
  const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup], { reject: false });
  return {
    calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
    run: r.stderr.split('\n').filter(Boolean),
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.exitCode ?? -1,
  };
}

// The system user the units run rs-agent as (adduser leaves an existing one as it is).
const ADDUSER = 'adduser --system --group --quiet --home /nonexistent --no-create-home rs-agent';

const each = (call: (unit: string) => string[]) => UNITS.flatMap(call);

describe('maintainer scripts', () => {
  it('are clean under shellcheck as POSIX sh', async () => {
    const r = await execa('shellcheck', ['-s', 'sh', ...['postinst', 'prerm', 'postrm'].map((s) => join(DEB, s))], {
      reject: false,
    });
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('shellcheck does flag a script with a fault (so the check above means something)', async () => {
    const bad = join(tempDir(), 'postinst');
    writeFileSync(
      bad,
      readFileSync(join(DEB, 'postinst'), 'utf8').replace(
        'deb-systemd-helper debian-installed "$unit"',
        'deb-systemd-helper debian-installed $units',
      ),
    );
    expect((await execa('shellcheck', ['-s', 'sh', bad], { reject: false })).exitCode).not.toBe(0);
  });

  it('fresh install (configure, no old version): makes the system user, records the units, reloads systemd, enables and starts nothing', async () => {
    const r = await run('postinst', ['configure']);
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([
      ADDUSER,
      ...each((u) => [`deb-systemd-helper debian-installed ${u}`]),
      `deb-systemd-helper update-state ${UNITS.join(' ')}`,
      'systemctl --system daemon-reload',
    ]);
  });

  it('upgrade of units the operator enabled: their links are renewed, only the watcher is restarted (try-restart)', async () => {
    const r = await run('postinst', ['configure', '0.0.9-1'], { installed: true, enabled: true });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([
      ADDUSER,
      ...each((u) => [
        `deb-systemd-helper debian-installed ${u}`,
        `deb-systemd-helper unmask ${u}`,
        `deb-systemd-helper --quiet was-enabled ${u}`,
        `deb-systemd-helper enable ${u}`,
      ]),
      `deb-systemd-helper update-state ${UNITS.join(' ')}`,
      'systemctl --system daemon-reload',
      'deb-systemd-invoke try-restart rs-agent-watch.service',
    ]);
    // rs-agent.service's ExecStop removes the VIPs: an upgrade never stops or restarts it.
    expect(r.calls.filter((c) => c.startsWith('deb-systemd-invoke') && c.includes('rs-agent.service'))).toEqual([]);
  });

  it('upgrade of units the operator left disabled: none is enabled, the watcher only try-restarted', async () => {
    const r = await run('postinst', ['configure', '0.0.9-1'], { installed: true, enabled: false });
    expect(r.calls.filter((c) => / enable /.test(c))).toEqual([]);
    expect(r.calls.at(-1)).toBe('deb-systemd-invoke try-restart rs-agent-watch.service');
  });

  it('prerm upgrade stops nothing: the VIPs stay up through an upgrade', async () => {
    const r = await run('prerm', ['upgrade', '0.2.0-1']);
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([]);
  });

  const STOP_UNITS =
    'deb-systemd-invoke stop rs-agent-check.timer rs-agent-check.service rs-agent-watch.service rs-agent.service';

  it('prerm remove stops the timer and the watcher, then rs-agent.service (whose stop takes the VIPs down)', async () => {
    // rs-agent.service was active: its ExecStop ran `rs-agent stop`, which left no state file.
    const r = await run('prerm', ['remove'], { state: false });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([STOP_UNITS]);
  });

  it('prerm remove after a failed start (the state file outlived the units): runs rs-agent stop itself, then clears the failure', async () => {
    const r = await run('prerm', ['remove']);
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([STOP_UNITS, 'rs-agent stop', 'systemctl reset-failed rs-agent.service']);
    expect(r.run).toEqual(expect.arrayContaining(['/run:', 'rs-agent', 'systemd']));
    expect(r.run).not.toContain('/run/rs-agent/state.json');
    expect(r.stdout).toBe(
      "rs-agent prerm: ran rs-agent stop: /run/rs-agent/state.json outlived the units' stop; what it listed is undone",
    );
  });

  it('prerm remove whose rs-agent stop fails: says so, keeps the state file and the failure, and the removal goes on', async () => {
    const r = await run('prerm', ['remove'], { stopExit: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([STOP_UNITS, 'rs-agent stop']);
    expect(r.run).toContain('/run/rs-agent/state.json');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/rs-agent: stop: a stub that fails\n/);
    expect(r.stderr).toMatch(
      /rs-agent prerm: rs-agent stop failed \(above\); what it could not undo is listed in \/run\/rs-agent\/state\.json/,
    );
  });

  it('postrm remove reloads systemd and masks the units; the state dir is kept until purge', async () => {
    const r = await run('postrm', ['remove']);
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual(['systemctl --system daemon-reload', `deb-systemd-helper mask ${UNITS.join(' ')}`]);
    expect(r.run).toContain('rs-agent');
  });

  it('postrm purge forgets the units, removes /run/rs-agent, the store cache and the system user', async () => {
    const r = await run('postrm', ['purge']);
    expect(r.exitCode).toBe(0);
    expect(r.calls).toEqual([
      `deb-systemd-helper purge ${UNITS.join(' ')}`,
      `deb-systemd-helper unmask ${UNITS.join(' ')}`,
      'deluser --system --quiet rs-agent',
    ]);
    expect(r.run).toEqual(['/run:', 'systemd', '/var/lib:']);
  });

  it('without systemd running (a chroot, an image build, another init), no unit is reloaded, started or stopped', async () => {
    const configure = await run('postinst', ['configure', '0.0.9-1'], {
      systemd: false,
      installed: true,
      enabled: true,
    });
    // The user is made all the same: the image boots with it.
    expect(configure.calls.filter((c) => !c.startsWith('deb-systemd-helper '))).toEqual([ADDUSER]);
    // No unit ran rs-agent (an init script, a shell did): only the state file says what to undo.
    expect((await run('prerm', ['remove'], { systemd: false })).calls).toEqual(['rs-agent stop']);
    expect((await run('prerm', ['remove'], { systemd: false, state: false })).calls).toEqual([]);
    expect(
      (await run('postrm', ['remove'], { systemd: false })).calls.filter((c) => c.startsWith('systemctl')),
    ).toEqual([]);
  });
});
