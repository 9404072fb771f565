import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

// A config file owned by someone other than root or the running user is refused (as sshd's
// StrictModes). Giving a file to another user takes root: this is read-file.test.ts's one
// case of the kernel tier.

describe('loadConfig: the file', () => {
  it('refuses a file owned by another user', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rsa-conf-')), 'rs-agent.yaml');
    writeFileSync(path, 'vips: [192.0.2.10]\n', { mode: 0o644 });
    chownSync(path, 1000, 1000);
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(/rs-agent\.yaml: is owned by uid 1000, not root: [^\n]*$/);
    expect(loadConfig(path, { allowInsecure: true }).vips).toHaveLength(1);
  });
});
