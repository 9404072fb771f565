import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

// The config file itself: what is not a regular file, what someone other than root
// could have written (as sshd's StrictModes), and what is too large, is refused.

const VALID = 'vips: [192.0.2.10]\n';

function place(yaml = VALID, mode = 0o644): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rsa-conf-'));
  const path = join(dir, 'rs-agent.yaml');
  writeFileSync(path, yaml);
  chmodSync(path, mode);
  return { dir, path };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('loadConfig: the file', () => {
  it('reads a root-owned 0644 file in a 0700 directory under sticky /tmp', () => {
    expect(loadConfig(place().path).vips).toHaveLength(1);
  });

  it('refuses a missing file, a directory and a FIFO (without waiting for a writer)', async () => {
    const { dir } = place();
    expect(errorOf(() => loadConfig(join(dir, 'nope.yaml')))).toMatch(
      /nope\.yaml: no such file \(set --config or RS_AGENT_CONFIG\)$/,
    );
    expect(errorOf(() => loadConfig(dir))).toMatch(/: is a directory, not a file$/);
    const fifo = join(dir, 'fifo.yaml');
    await execa('mkfifo', [fifo]);
    expect(errorOf(() => loadConfig(fifo))).toMatch(/fifo\.yaml: is not a regular file$/);
  });

  it.each([
    [
      0o664,
      /: is writable by its group \(mode 0664\): whoever can change it decides what rs-agent does as root; fix that, or pass --allow-insecure-config$/,
    ],
    [0o646, /: is writable by others \(mode 0646\)/],
  ])('refuses mode %o unless allowed', (mode, message) => {
    const { path } = place(VALID, mode);
    expect(errorOf(() => loadConfig(path))).toMatch(message);
    expect(loadConfig(path, { allowInsecure: true }).vips).toHaveLength(1);
  });

  it('refuses a file in a directory others can write to (they could replace it), but not a sticky one', () => {
    const { dir, path } = place();
    chmodSync(dir, 0o777);
    expect(errorOf(() => loadConfig(path))).toMatch(
      new RegExp(`: directory ${dir} is writable by its group \\(mode 0777\\)`),
    );
    chmodSync(dir, 0o1777);
    expect(loadConfig(path).vips).toHaveLength(1);
  });

  it('follows a symlink and checks the directories on both sides of it', () => {
    const { dir: real, path } = place();
    const open = join(real, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o757);
    const link = join(open, 'link.yaml');
    symlinkSync(path, link);
    expect(errorOf(() => loadConfig(link))).toMatch(new RegExp(`: directory ${open} is writable by others`));
    const { dir: safe } = place();
    const { dir: loose, path: target } = place();
    chmodSync(loose, 0o775);
    symlinkSync(target, join(safe, 'to-loose.yaml'));
    expect(errorOf(() => loadConfig(join(safe, 'to-loose.yaml')))).toMatch(
      new RegExp(`: directory ${loose} is writable by its group`),
    );
  });

  it('refuses a file over 1 MiB without reading it whole', () => {
    const { path } = place(`${VALID}${'#'.repeat(2 * 1024 * 1024)}\n`);
    expect(errorOf(() => loadConfig(path))).toMatch(/: is 2 MiB; a config is at most 1 MiB$/);
  });
});
