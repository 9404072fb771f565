import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { CLI } from '../helpers/netns.js';
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
    expect((await cli(['install', '--root', root, '--config', config])).stdout).toContain(
      `unchanged ${root}/etc/sysctl.d/90-rs-agent.conf`,
    );

    const removed = await cli(['uninstall', '--root', root]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain(`removed ${root}/etc/sysctl.d/90-rs-agent.conf`);
    expect(existsSync(join(root, 'etc/modules-load.d/rs-agent.conf'))).toBe(false);
    expect(await cli(['uninstall', '--root', root])).toEqual({
      exitCode: 0,
      stdout: `nothing to uninstall: no ${root}/etc/rs-agent/installed.json`,
      stderr: '',
    });
  });

  it('the units it writes run the rs-agent that ran install, by the path it was started as', async () => {
    const config = join(tempDir(), 'rs-agent.yaml');
    const root = join(tempDir(), 'root');
    const bin = join(tempDir(), 'bin');
    writeFileSync(config, 'vips: [192.0.2.10]\n');
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'rs-agent')); // as npm install -g links /usr/local/bin/rs-agent
    const r = await execa(join(bin, 'rs-agent'), ['install', '--root', root, '--config', config], { reject: false });
    expect(r.exitCode).toBe(0);
    const unit = readFileSync(join(root, 'etc/systemd/system/rs-agent.service'), 'utf8');
    expect(unit).toContain(`\nExecStart=${bin}/rs-agent start\n`);
    expect(unit).toContain(`\nExecStop=${bin}/rs-agent stop\n`);
    expect(readFileSync(join(root, 'etc/systemd/system/rs-agent-watch.service'), 'utf8')).toContain(
      `\nExecStart=${bin}/rs-agent run\n`,
    );
    expect(unit).not.toContain('/usr/local/bin');
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
