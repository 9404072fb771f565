import { execa } from 'execa';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/netns.js';

// The systemd units and the cron example, as shipped.
const ROOT = resolve(import.meta.dirname, '../..');
const UNITS = join(ROOT, 'units');
const INSTALLED = '/usr/local/bin/rs-agent';

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
    expect(u.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_SYS_MODULE']);
    expect(u.get('ProtectSystem')).toEqual(['strict']);
    expect(u.get('NoNewPrivileges')).toEqual(['yes']);
    expect(u.get('ReadWritePaths')?.join(' ')).toMatch(/\/run\/rs-agent/);
  });

  // modprobe (ipip, ip6_tunnel) calls finit_module(2): without @module the filter turns it into
  // EPERM, and without CAP_SYS_MODULE (or with ProtectKernelModules) the kernel refuses it.
  // test/e2e/systemd-units.test.ts proves it under systemd as PID 1 (`rmmod ipip` repaired).
  for (const name of ['rs-agent-watch.service', 'rs-agent-check.service']) {
    it(`${name}: its syscall filter and capabilities let modprobe load a tunnel module`, () => {
      const u = directives(name);
      expect(u.get('SystemCallFilter')).toEqual(['@system-service @module']);
      expect(u.get('SystemCallErrorNumber')).toEqual(['EPERM']);
      expect(u.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_SYS_MODULE']);
      expect(u.get('ProtectKernelModules')).toBeUndefined();
      expect(u.get('RestrictAddressFamilies')?.join(' ')).toMatch(/\bAF_NETLINK\b/);
    });
  }

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
