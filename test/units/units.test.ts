import { execa } from 'execa';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE } from '../../src/config/store.js';
import { SERVICE_UNITS, SHIPPED_WRITABLE } from '../../src/install/unit-paths.js';
import { CLI } from '../helpers/netns.js';

// The systemd units and the cron example, as shipped.
const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = join(ROOT, 'units');
const INSTALLED = '/usr/local/bin/rs-agent';
const SERVICES = SERVICE_UNITS;

// The units name the installed binary; systemd-analyze verify checks that it exists,
// so each test verifies copies that point at the built CLI instead.
function installedCopies(): { dir: string; names: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rsa-units-'));
  const bin = join(dir, 'rs-agent');
  writeFileSync(bin, `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`);
  chmodSync(bin, 0o755);
  const names = readdirSync(UNITS);
  for (const name of names)
    writeFileSync(join(dir, name), readFileSync(join(UNITS, name), 'utf8').replaceAll(INSTALLED, bin));
  return { dir, names };
}

function directives(name: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(join(UNITS, name), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1] as string, [...(map.get(m[1] as string) ?? []), m[2] as string]);
  }
  return map;
}

describe('systemd units', () => {
  it('ships the four units', () => {
    expect(readdirSync(UNITS).sort()).toEqual([
      'rs-agent-check.service',
      'rs-agent-check.timer',
      'rs-agent-watch.service',
      'rs-agent.service',
    ]);
  });

  it('every unit passes systemd-analyze verify without a warning', async () => {
    const { dir, names } = installedCopies();
    const r = await execa('systemd-analyze', ['verify', '--man=no', ...names], { cwd: dir, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('verify does catch a broken unit (so the check above means something)', async () => {
    const { dir } = installedCopies();
    writeFileSync(
      join(dir, 'rs-agent.service'),
      readFileSync(join(dir, 'rs-agent.service'), 'utf8').replace('RemainAfterExit=yes', 'RemainAfterExt=yes'),
    );
    const r = await execa('systemd-analyze', ['verify', '--man=no', 'rs-agent.service'], { cwd: dir, reject: false });
    expect(r.stderr).toMatch(/Unknown key 'RemainAfterExt'/);
  });

  it('rs-agent.service: oneshot start/stop, after systemd-sysctl, state dir kept', () => {
    const u = directives('rs-agent.service');
    expect(u.get('Type')).toEqual(['oneshot']);
    expect(u.get('RemainAfterExit')).toEqual(['yes']);
    expect(u.get('ExecStart')).toEqual([`${INSTALLED} start`]);
    expect(u.get('ExecStop')).toEqual([`${INSTALLED} stop`]);
    expect(u.get('After')?.join(' ')).toMatch(/systemd-sysctl\.service/);
    expect(u.get('RuntimeDirectoryPreserve')).toEqual(['yes']);
  });

  it('rs-agent-watch.service: the daemon, part of rs-agent.service, notify, restarted on failure, hardened', () => {
    const u = directives('rs-agent-watch.service');
    expect(u.get('ExecStart')).toEqual([`${INSTALLED} run`]);
    expect(u.get('PartOf')).toEqual(['rs-agent.service']);
    expect(u.get('After')).toEqual(['rs-agent.service']);
    expect(u.get('Type')).toEqual(['notify']);
    expect(u.get('NotifyAccess')).toEqual(['all']);
    expect(u.get('Restart')).toEqual(['on-failure']);
    expect(u.get('ProtectSystem')).toEqual(['strict']);
    expect(u.get('NoNewPrivileges')).toEqual(['yes']);
  });

  // Net sysctls, addresses, routes, links and nftables need CAP_NET_ADMIN, not root
  // (test/kernel/service-user.test.ts runs the CLI so); loading a tunnel module needs
  // root, so a `+` (full privileges) ExecStartPre does it from what install listed.
  // test/e2e/systemd-units.test.ts proves the units under systemd as PID 1.
  for (const name of SERVICES) {
    it(`${name}: the system user rs-agent with CAP_NET_ADMIN alone; modules loaded by a privileged step`, () => {
      const u = directives(name);
      expect(u.get('User')).toEqual(['rs-agent']);
      expect(u.get('Group')).toEqual(['rs-agent']);
      expect(u.get('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN']);
      expect(u.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN']);
      expect(u.get('ProtectKernelModules')).toEqual(['yes']);
      expect(u.get('ExecStartPre')).toEqual(['+-/lib/systemd/systemd-modules-load /etc/modules-load.d/rs-agent.conf']);
      expect(u.get('RestrictAddressFamilies')?.join(' ')).toMatch(/\bAF_NETLINK\b/);
    });

    it(`${name}: may write the state dir and the store cache's directory, and makes them its own`, () => {
      const u = directives(name);
      const writable = u.get('ReadWritePaths')?.join(' ').split(' ') ?? [];
      expect(writable).toEqual(expect.arrayContaining(['/run/rs-agent', dirname(DEFAULT_CACHE)]));
      expect(u.get('RuntimeDirectory')).toEqual(['rs-agent']);
      expect(u.get('StateDirectory')).toEqual([basename(dirname(DEFAULT_CACHE))]);
      expect(u.get('ProtectSystem')).toEqual(['strict']);
    });

    it(`${name}: systemd-analyze security rates it at most 2.5`, async () => {
      const r = await execa('systemd-analyze', ['security', '--offline=yes', join(UNITS, name)], { reject: false });
      const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
      expect(score, r.stdout).toBeLessThanOrEqual(2.5);
    });
  }

  // The daemon starts its ip and nft monitors through util-linux setpriv, which calls
  // capset(2) however it is invoked: refused (systemd's @privileged holds it), every monitor
  // exits 127 and the watcher has no kernel events (seen under systemd as PID 1).
  it('rs-agent-watch.service: its system call filter lets setpriv start the monitors (capset)', async () => {
    const allowed = await allowedSyscalls(directives('rs-agent-watch.service').get('SystemCallFilter') ?? []);
    expect(allowed.has('capset')).toBe(true);
    expect(allowed.has('setuid'), 'the rest of @privileged stays refused').toBe(false);
    expect(allowed.has('prctl'), 'setpriv --pdeathsig').toBe(true);
  });

  it('systemd-analyze security does rate a unit without the hardening above 2.5 (so the check means something)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsa-units-'));
    const bare = readFileSync(join(UNITS, 'rs-agent-watch.service'), 'utf8').replace(
      /^(User|Group|SystemCallFilter)=.*\n/gm,
      '',
    );
    writeFileSync(join(dir, 'rs-agent-watch.service'), bare);
    const r = await execa('systemd-analyze', ['security', '--offline=yes', join(dir, 'rs-agent-watch.service')], {
      reject: false,
    });
    expect(Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1])).toBeGreaterThan(2.5);
  });

  // install's drop-in (src/install/unit-paths.ts) names what these leave out.
  it('the service units make writable what install knows they do, and no more', () => {
    expect(readdirSync(UNITS).filter((name) => name.endsWith('.service'))).toEqual(expect.arrayContaining(SERVICES));
    const writable = SERVICES.flatMap((name) => directives(name).get('ReadWritePaths') ?? [])
      .flatMap((line) => line.split(' '))
      .map((path) => path.replace(/^-/, ''));
    expect([...new Set(writable)].sort()).toEqual([...SHIPPED_WRITABLE].sort());
  });

  it('rs-agent-check.timer starts rs-agent-check.service, which runs check --fix', () => {
    expect(directives('rs-agent-check.service').get('ExecStart')).toEqual([`${INSTALLED} check --fix`]);
    expect(directives('rs-agent-check.timer').get('OnUnitActiveSec')).toBeTruthy();
  });
});

describe('examples/cron.d/rs-agent', () => {
  it('has one job: five time fields, the user, then rs-agent check --fix', () => {
    const jobs = readFileSync(join(ROOT, 'examples/cron.d/rs-agent'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#') && !/^[A-Z]+=/.test(l));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatch(/^(\S+\s+){5}root\s+rs-agent check --fix\b/);
  });
});

// The system calls a unit's SystemCallFilter= lines allow, in systemd's order: the first
// line is an allow list (the units use no other kind), a later "~" line takes calls away
// from it and a later plain line adds them back. Groups from systemd-analyze syscall-filter.
async function allowedSyscalls(lines: readonly string[]): Promise<Set<string>> {
  const groups = new Map<string, string[]>();
  let group: string[] = [];
  for (const line of (await execa('systemd-analyze', ['syscall-filter'], { reject: false })).stdout.split('\n')) {
    if (line.startsWith('@')) groups.set(line.trim(), (group = []));
    else if (line.trim() && !line.trim().startsWith('#')) group.push(line.trim());
  }
  const expand = (name: string): string[] => (name.startsWith('@') ? (groups.get(name) ?? []).flatMap(expand) : [name]);
  const allowed = new Set<string>();
  lines.forEach((line, i) => {
    const deny = line.startsWith('~');
    if (i === 0 && deny) throw new Error(`a deny list first: ${line}`);
    for (const call of line.replace(/^~/, '').split(/\s+/).filter(Boolean).flatMap(expand))
      if (deny) allowed.delete(call);
      else allowed.add(call);
  });
  return allowed;
}
