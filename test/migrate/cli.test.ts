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
    expect(yaml.stderr).toMatch(/^rs-agent: imported 3 VIPs from .*several-vips\.sh; 5 lines not translated or done differently/);
    const config = join(tempDir(), 'imported.yaml');
    writeFileSync(config, yaml.stdout);
    expect(await cli(['validate', '--config', config])).toEqual({ exitCode: 0, stdout: `${config}: valid: 3 VIPs (3 dr, 0 tun)`, stderr: '' });
  });

  it('a file it cannot read, or one without a VIP: exit 2, one line', async () => {
    const missing = await cli(['import', join(tempDir(), 'nope.sh')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^rs-agent: import: cannot read .*nope\.sh: no such file$/);
    writeFileSync(join(tempDir(), 'empty.sh'), '#!/bin/sh\nexit 0\n');
    const empty = await cli(['import', join(tempDir(), 'empty.sh')]);
    expect(empty).toEqual({ exitCode: 2, stdout: '', stderr: `rs-agent: import ${join(tempDir(), 'empty.sh')}: found no VIP (no ifconfig or ip address add on lo, tunl0 or ip6tnl0 in what start runs)` });
  });
});
