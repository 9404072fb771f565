import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The VM scenarios wait for a line in a log with bash builtins (test/e2e/guest/lib/wait.sh),
// not grep: what they find must be what grep would have found.
const LIB = fileURLToPath(new URL('../e2e/guest/lib/wait.sh', import.meta.url));

function bash(script: string, ...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('bash', ['-c', `. "$0"; ${script}`, LIB, ...args], {
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  });
  return { status: r.status, stdout: r.stdout.toString() };
}

describe("wait.sh, the VM scenarios' waits without processes", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rsa-wait-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('file_has matches a whole line against a glob, the last line without its newline too', () => {
    const log = join(dir, 'log');
    writeFileSync(log, '{"event":"starting"}\ndraining: 1 connection left\n{"event":"ready","pid":7}');
    const has = (pattern: string) => bash('file_has "$1" "$2"', log, pattern).status;
    expect(has('*"event":"ready"*')).toBe(0);
    expect(has('draining: *')).toBe(0);
    expect(has('*"event":"watching"*')).toBe(1);
    // whole lines: a pattern without its stars matches no line that only contains it
    expect(has('"event":"ready"')).toBe(1);
    expect(has('connection left')).toBe(1);
    expect(bash('file_has "$1" "*"', join(dir, 'absent')).status).toBe(1);
  });

  it('wait_for_line returns once the line is written, and fails when it never comes', () => {
    const log = join(dir, 'log');
    const found = bash(
      '(sleep 0.3; echo "listening on any" >> "$1") & wait_for_line "$1" "listening on*" 60; echo $?',
      log,
    );
    expect(found.stdout).toBe('0\n');
    writeFileSync(log, 'something else\n');
    expect(bash('wait_for_line "$1" "*ready*" 1; echo $?', log).stdout).toBe('1\n');
  });

  it('usec turns an EPOCHREALTIME value into whole microseconds, leading zeros too', () => {
    expect(
      execFileSync('bash', [
        '-c',
        '. "$0"; usec 1796679701.031769; echo $USEC; usec 12.000008; echo $USEC',
        LIB,
      ]).toString(),
    ).toBe('1796679701031769\n12000008\n');
  });
});
