import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The built CLI's import command: reads a script, prints YAML; touches nothing.

const tempDir = useTempDir('rsa-cli-');

describe('rs-agent import', () => {
  it('prints YAML that rs-agent validate accepts, and a summary on stderr', async () => {
    const yaml = await cli(['import', join(import.meta.dirname, 'fixtures/several-vips.sh')]);
    expect(yaml.exitCode).toBe(0);
    expect(yaml.stderr).toMatch(
      /^rs-agent: imported 3 VIPs from .*several-vips\.sh; 5 lines not translated or done differently/,
    );
    const config = join(tempDir(), 'imported.yaml');
    writeFileSync(config, yaml.stdout);
    expect(await cli(['validate', '--config', config])).toEqual({
      exitCode: 0,
      stdout: `${config}: valid: 3 VIPs (3 dr, 0 tun)`,
      stderr: '',
    });
  });

  it('a file it cannot read, or one without a VIP: exit 2, one line', async () => {
    const missing = await cli(['import', join(tempDir(), 'nope.sh')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^rs-agent: import: cannot read .*nope\.sh: no such file$/);
    writeFileSync(join(tempDir(), 'empty.sh'), '#!/bin/sh\nexit 0\n');
    const empty = await cli(['import', join(tempDir(), 'empty.sh')]);
    expect(empty).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import ${join(tempDir(), 'empty.sh')}: found no VIP (no ifconfig or ip address add on lo, tunl0 or ip6tnl0 in what start runs)`,
    });
  });

  it("--arg 1=ADDRESS fills the script's $1; the YAML passes validate", async () => {
    const yaml = await cli(['import', join(import.meta.dirname, 'fixtures/vip-arg.sh'), '--arg', '1=192.0.2.50']);
    expect(yaml.exitCode).toBe(0);
    expect(yaml.stdout).toContain('  - 192.0.2.50  # line 6:');
    const config = join(tempDir(), 'arg.yaml');
    writeFileSync(config, yaml.stdout);
    expect(await cli(['validate', '--config', config])).toEqual({
      exitCode: 0,
      stdout: `${config}: valid: 1 VIPs (1 dr, 0 tun)`,
      stderr: '',
    });
  });

  it('a VIP from $1 not given: exit 2, the first line names the argument, the notes follow', async () => {
    const file = join(import.meta.dirname, 'fixtures/vip-arg.sh');
    const r = await cli(['import', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(
      `rs-agent: import ${file}: found no VIP: the VIP is $LVS_VIP, the script's argument $1 (line 3: LVS_VIP=$1): pass it with --arg 1=ADDRESS`,
    );
    expect(lines.slice(1).map((l) => l.slice(0, 9))).toEqual(['  line 6:', '  line 7:']);
  });

  it('a malformed --arg: exit 2, one line naming it', async () => {
    const r = await cli(['import', join(import.meta.dirname, 'fixtures/vip-arg.sh'), '--arg', '192.0.2.50']);
    expect(r).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        'rs-agent: import: --arg "192.0.2.50": expected N=VALUE (the script\'s argument $N, e.g. 1=192.0.2.10) or NAME=VALUE (a template placeholder)',
    });
  });

  it('a FIFO or a directory is refused at once, naming the path: exit 2, one line', async () => {
    const fifo = join(tempDir(), 'script.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await cli(['import', fifo])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import: cannot read ${fifo}: is a FIFO, not a regular file (give the script file itself)`,
    });
    expect(await cli(['import', tempDir()])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: import: cannot read ${tempDir()}: is a directory, not a regular file (give the script file itself)`,
    });
  });

  it('"-" (stdin) is not read: exit 2, one line', async () => {
    expect(await cli(['import', '-'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'rs-agent: import: name the script file (stdin is not read)',
    });
  });
});
