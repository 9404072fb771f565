import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { install, uninstall } from '../../src/install/install.js';
import { MANIFEST } from '../../src/install/manifest.js';
import { useTempDir } from '../helpers/temp-dir.js';

// install and uninstall write root's boot configuration: a directory on the way that someone
// other than root could change is refused before anything is written. Giving a directory to
// another user, and seeing one owned by root, take root: install.test.ts's case of the kernel tier.

describe('install, uninstall: the directories they write in', () => {
  const dir = useTempDir('rsa-install-');

  it('refuses a directory someone other than root could change, before writing anything; makes missing ones 0755', () => {
    const root = join(dir(), 'root');
    const at = (path: string) => join(root, path);
    const unitsDir = join(dir(), 'units');
    mkdirSync(unitsDir);
    writeFileSync(join(unitsDir, 'rs-agent.service'), '[Unit]\nDescription=rs-agent test unit\n');
    const config = parseConfig('mode: tun\nvips: [198.51.100.7]\n', '/etc/rs-agent/rs-agent.yaml');
    mkdirSync(at('/etc/sysctl.d'), { recursive: true });
    chownSync(at('/etc/sysctl.d'), 4242, 4242);
    expect(() => install({ root, config, unitsDir })).toThrow(
      `install: ${at('/etc/sysctl.d')} is owned by uid 4242 and mode 0755: it must be owned by root and writable by no one else; nothing was changed`,
    );
    expect(existsSync(at('/etc/systemd'))).toBe(false);
    expect(existsSync(at(MANIFEST))).toBe(false);
    chownSync(at('/etc/sysctl.d'), 0, 0);
    install({ root, config, unitsDir });
    expect(statSync(at('/etc/modules-load.d')).mode & 0o7777).toBe(0o755);
    chmodSync(at('/etc/systemd/system'), 0o777);
    expect(() => uninstall({ root })).toThrow(
      `uninstall: ${at('/etc/systemd/system')} is owned by uid 0 (root) and mode 0777`,
    );
    expect(existsSync(at('/etc/modules-load.d/rs-agent.conf'))).toBe(true);
  });
});
