import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { install, pointUnitAt, stillEnabled, uninstall } from '../../src/install/install.js';
import { MANIFEST } from '../../src/install/manifest.js';
import { SERVICE_UNITS } from '../../src/install/unit-paths.js';

const DR = parseConfig('vips: [192.0.2.10]\ninterfaces: [eth0]\n', '/etc/rs-agent/rs-agent.yaml');
const TUN = parseConfig('mode: tun\nvips: [198.51.100.7]\n', '/etc/rs-agent/rs-agent.yaml');
const UNIT = '[Unit]\nDescription=rs-agent test unit\n';

let root: string;
let unitsDir: string;
beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'rsa-install-'));
  root = join(dir, 'root');
  unitsDir = join(dir, 'units');
  mkdirSync(unitsDir);
  writeFileSync(join(unitsDir, 'rs-agent.service'), UNIT);
  writeFileSync(join(unitsDir, 'rs-agent-check.timer'), '[Timer]\nOnCalendar=minutely\n');
});

const at = (path: string) => join(root, path);
const summary = (actions: { path: string; action: string }[] | null) => actions?.map((a) => `${a.action} ${a.path}`);

describe('install', () => {
  it("points the units' Exec lines at the binary it is given, and only those", () => {
    writeFileSync(
      join(unitsDir, 'rs-agent.service'),
      '[Service]\n# runs /usr/local/bin/rs-agent start\nExecStart=/usr/local/bin/rs-agent start\nExecStop=-/usr/local/bin/rs-agent stop\nExecReload=/bin/kill -HUP $MAINPID\n',
    );
    install({ root, config: DR, unitsDir, binary: '/usr/bin/rs-agent' });
    expect(readFileSync(at('/etc/systemd/system/rs-agent.service'), 'utf8')).toBe(
      '[Service]\n# runs /usr/local/bin/rs-agent start\nExecStart=/usr/bin/rs-agent start\nExecStop=-/usr/bin/rs-agent stop\nExecReload=/bin/kill -HUP $MAINPID\n',
    );
  });

  it('escapes the binary path for systemd, and refuses one systemd cannot run', () => {
    expect(() => pointUnitAt(Buffer.from('ExecStart=/usr/local/bin/rs-agent run\n'), 'bin/rs-agent')).toThrow(
      /"bin\/rs-agent" cannot be named in a unit/,
    );
    expect(() =>
      pointUnitAt(Buffer.from('ExecStart=/usr/local/bin/rs-agent run\n'), '/opt/my "tools"/rs-agent'),
    ).toThrow(/cannot be named in a unit/);
    // A space is quoted, a % doubled (systemd.service(5), "Command lines").
    expect(
      pointUnitAt(Buffer.from('ExecStart=/usr/local/bin/rs-agent run\n'), '/opt/my 100%/rs-agent').toString(),
    ).toBe('ExecStart="/opt/my 100%%/rs-agent" run\n');
  });

  it("writes every unit, the drop-in and (for TUN) modules-load.d, and records each file's hash", () => {
    expect(summary(install({ root, config: TUN, unitsDir }))).toEqual([
      'wrote /etc/systemd/system/rs-agent-check.timer',
      'wrote /etc/systemd/system/rs-agent.service',
      'wrote /etc/sysctl.d/90-rs-agent.conf',
      'wrote /etc/modules-load.d/rs-agent.conf',
    ]);
    expect(readFileSync(at('/etc/systemd/system/rs-agent.service'), 'utf8')).toBe(UNIT);
    expect(readFileSync(at('/etc/modules-load.d/rs-agent.conf'), 'utf8')).toMatch(/\nipip\n$/);
    const manifest = JSON.parse(readFileSync(at(MANIFEST), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files)).toHaveLength(4);
    expect(manifest.files['/etc/sysctl.d/90-rs-agent.conf']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is idempotent, and converges when the config changes: a file no longer needed is removed', () => {
    install({ root, config: TUN, unitsDir });
    expect(summary(install({ root, config: TUN, unitsDir }))?.every((line) => line.startsWith('unchanged '))).toBe(
      true,
    );
    expect(summary(install({ root, config: DR, unitsDir }))).toEqual([
      'unchanged /etc/systemd/system/rs-agent-check.timer',
      'unchanged /etc/systemd/system/rs-agent.service',
      'updated /etc/sysctl.d/90-rs-agent.conf',
      'removed /etc/modules-load.d/rs-agent.conf',
    ]);
    expect(existsSync(at('/etc/modules-load.d/rs-agent.conf'))).toBe(false);
    expect(readFileSync(at('/etc/sysctl.d/90-rs-agent.conf'), 'utf8')).toContain('net.ipv4.conf.eth0.arp_ignore = 1');
  });

  it('refuses to overwrite a file it did not write, or one edited since, and then writes nothing', () => {
    mkdirSync(at('/etc/sysctl.d'), { recursive: true });
    writeFileSync(at('/etc/sysctl.d/90-rs-agent.conf'), 'net.ipv4.conf.all.arp_ignore = 2\n');
    expect(() => install({ root, config: DR, unitsDir })).toThrow(
      /90-rs-agent\.conf exists and is not the file rs-agent installed .*nothing was written/,
    );
    expect(existsSync(at('/etc/systemd/system/rs-agent.service'))).toBe(false);
    expect(existsSync(at(MANIFEST))).toBe(false);
  });

  it('installs with no units directory at all (the units are not shipped yet)', () => {
    expect(summary(install({ root, config: DR, unitsDir: join(unitsDir, 'missing') }))).toEqual([
      'wrote /etc/sysctl.d/90-rs-agent.conf',
    ]);
  });
});

// A config that has rs-agent write outside the shipped units' ReadWritePaths.
function elsewhere(cache: string, metrics: string) {
  return parseConfig(
    `vips: [192.0.2.10]\nmetrics: {file: '${metrics}'}\nsource:\n  etcd:\n    endpoints: [https://192.0.2.1:2379]\n` +
      `    cache: '${cache}'\nhost: rs1\n`,
    '/etc/rs-agent/rs-agent.yaml',
  );
}
const dropIn = (unit: string) => `/etc/systemd/system/${unit}.d/rs-agent-paths.conf`;

describe('install: the directories the units may write', () => {
  it("a cache and metrics.file outside the shipped units' paths: a drop-in per service unit makes them writable", () => {
    const config = elsewhere('/srv/rs-agent/cache.json', '/var/lib/node exporter/100%/rs-agent.prom');
    const actions = summary(install({ root, config, unitsDir }));
    expect(actions).toEqual(expect.arrayContaining(SERVICE_UNITS.map((u) => `wrote ${dropIn(u)}`)));
    for (const unit of SERVICE_UNITS)
      expect(readFileSync(at(dropIn(unit)), 'utf8')).toMatch(
        /^# Written by "rs-agent install" from \/etc\/rs-agent\/rs-agent\.yaml;[^]*\n\[Service\]\nReadWritePaths=-\/srv\/rs-agent -"\/var\/lib\/node exporter\/100%%"\n$/,
      );
  });

  it('none where the shipped paths hold them; a drop-in no longer needed is removed with its directory', () => {
    install({ root, config: elsewhere('/srv/rs-agent/cache.json', '/var/lib/rs-agent/m.prom'), unitsDir });
    expect(readFileSync(at(dropIn('rs-agent.service')), 'utf8')).toMatch(/\nReadWritePaths=-\/srv\/rs-agent\n$/);
    const config = elsewhere('/var/lib/rs-agent/cache.json', '/var/lib/prometheus/node-exporter/rs-agent.prom');
    expect(summary(install({ root, config, unitsDir }))).toEqual(
      expect.arrayContaining(SERVICE_UNITS.map((u) => `removed ${dropIn(u)}`)),
    );
    for (const unit of SERVICE_UNITS) expect(existsSync(at(`/etc/systemd/system/${unit}.d`))).toBe(false);
    expect(readFileSync(at(MANIFEST), 'utf8')).not.toContain('rs-agent-paths');
  });

  it('refuses a directory systemd cannot name, naming the key; nothing written', () => {
    const config = elsewhere('/srv/"rs"/cache.json', '/var/lib/rs-agent/m.prom');
    expect(() => install({ root, config, unitsDir })).toThrow(
      'install: config /etc/rs-agent/rs-agent.yaml: source.etcd.cache: the directory "/srv/\\"rs\\"" cannot be named in a unit',
    );
    expect(existsSync(at(MANIFEST))).toBe(false);
  });
});

describe('uninstall', () => {
  it('removes exactly what install wrote, keeps an edited file and files it never wrote, and is idempotent', () => {
    mkdirSync(at('/etc/sysctl.d'), { recursive: true });
    writeFileSync(at('/etc/sysctl.d/10-operator.conf'), 'vm.swappiness = 10\n');
    install({ root, config: TUN, unitsDir });
    writeFileSync(at('/etc/systemd/system/rs-agent.service'), `${UNIT}# local tweak\n`);
    expect(summary(uninstall({ root }))).toEqual([
      'removed /etc/systemd/system/rs-agent-check.timer',
      'kept /etc/systemd/system/rs-agent.service',
      'removed /etc/sysctl.d/90-rs-agent.conf',
      'removed /etc/modules-load.d/rs-agent.conf',
    ]);
    expect(readFileSync(at('/etc/systemd/system/rs-agent.service'), 'utf8')).toContain('# local tweak');
    expect(readFileSync(at('/etc/sysctl.d/10-operator.conf'), 'utf8')).toBe('vm.swappiness = 10\n');
    expect(existsSync(at(MANIFEST))).toBe(false);
    expect(uninstall({ root })).toBeNull();
  });

  it('an emptied file counts as edited and is kept; one deleted by hand is reported as already gone', () => {
    install({ root, config: TUN, unitsDir });
    writeFileSync(at('/etc/sysctl.d/90-rs-agent.conf'), '');
    rmSync(at('/etc/modules-load.d/rs-agent.conf'));
    const actions = summary(uninstall({ root }));
    expect(actions).toContain('kept /etc/sysctl.d/90-rs-agent.conf');
    expect(actions).toContain('already gone /etc/modules-load.d/rs-agent.conf');
  });

  it('notices units an operator enabled, so the CLI can say to disable them', () => {
    install({ root, config: DR, unitsDir });
    mkdirSync(at('/etc/systemd/system/multi-user.target.wants'));
    symlinkSync(
      '/etc/systemd/system/rs-agent.service',
      at('/etc/systemd/system/multi-user.target.wants/rs-agent.service'),
    );
    const paths = Object.keys((JSON.parse(readFileSync(at(MANIFEST), 'utf8')) as { files: object }).files);
    expect(stillEnabled(root, paths)).toEqual(['rs-agent.service']);
  });

  it('refuses a manifest it did not write', () => {
    mkdirSync(at('/etc/rs-agent'), { recursive: true });
    writeFileSync(at(MANIFEST), '{"files": 3}');
    expect(() => uninstall({ root })).toThrow(/installed\.json is not a manifest rs-agent wrote/);
  });
});
