import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The built CLI writing into a staging tree (--root): no network state is touched.

const tempDir = useTempDir('rsa-install-cli-');

describe('rs-agent install / uninstall --root', () => {
  it('installs the boot files for the config, says what it did, and uninstall removes them', async () => {
    const config = join(tempDir(), 'rs-agent.yaml');
    const root = join(tempDir(), 'root');
    writeFileSync(config, 'mode: tun\nvips: [198.51.100.7, "2001:db8::10"]\n');
    const first = await cli(['install', '--root', root, '--config', config]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(`wrote ${root}/etc/sysctl.d/90-rs-agent.conf`);
    expect(first.stdout).toContain(`wrote ${root}/etc/modules-load.d/rs-agent.conf`);
    expect(first.stdout).toContain(`recorded in ${root}/etc/rs-agent/installed.json`);
    expect(readFileSync(join(root, 'etc/modules-load.d/rs-agent.conf'), 'utf8')).toMatch(/\nipip\nip6_tunnel\n$/);
    expect((await cli(['install', '--root', root, '--config', config])).stdout).toContain(`unchanged ${root}/etc/sysctl.d/90-rs-agent.conf`);

    const removed = await cli(['uninstall', '--root', root]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain(`removed ${root}/etc/sysctl.d/90-rs-agent.conf`);
    expect(existsSync(join(root, 'etc/modules-load.d/rs-agent.conf'))).toBe(false);
    expect(await cli(['uninstall', '--root', root])).toEqual({ exitCode: 0, stdout: `nothing to uninstall: no ${root}/etc/rs-agent/installed.json`, stderr: '' });
  });

  it('a bad config: exit 2, one line, nothing written', async () => {
    const config = join(tempDir(), 'rs-agent.yaml');
    writeFileSync(config, 'vips: ["fe80::1"]\n');
    const result = await cli(['install', '--root', join(tempDir(), 'root'), '--config', config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^rs-agent: config .*: vips\[0\]: "fe80::1" is a link-local address/);
    expect(existsSync(join(tempDir(), 'root'))).toBe(false);
  });
});
