import { closeSync, fstatSync, openSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stdoutIsJournal } from '../../src/daemon/journal-stream.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tempDir = useTempDir('rsa-journal-');

// A real file's fstat stands in for stdout: JOURNAL_STREAM must name its device and inode.
function withStdout(test: (stat: () => Stats, id: string) => void): void {
  const fd = openSync(join(tempDir(), 'stdout'), 'w');
  try {
    const stat = fstatSync(fd);
    test(() => fstatSync(fd), `${stat.dev}:${stat.ino}`);
  } finally {
    closeSync(fd);
  }
}

describe('stdoutIsJournal', () => {
  it("is true when JOURNAL_STREAM names stdout's device and inode", () => {
    withStdout((stat, id) => expect(stdoutIsJournal({ JOURNAL_STREAM: id }, stat)).toBe(true));
  });

  it('is false when stdout is another file than the one systemd connected (a redirected child)', () => {
    withStdout((stat, id) => {
      const [dev, ino] = id.split(':');
      expect(stdoutIsJournal({ JOURNAL_STREAM: `${dev}:${Number(ino) + 1}` }, stat)).toBe(false);
      expect(stdoutIsJournal({ JOURNAL_STREAM: `${Number(dev) + 1}:${ino}` }, stat)).toBe(false);
    });
  });

  it('is false without JOURNAL_STREAM, with a malformed one, or when stdout is closed', () => {
    withStdout((stat, id) => {
      expect(stdoutIsJournal({}, stat)).toBe(false);
      expect(stdoutIsJournal({ JOURNAL_STREAM: `${id}x` }, stat)).toBe(false);
      expect(
        stdoutIsJournal({ JOURNAL_STREAM: id }, () => {
          throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
        }),
      ).toBe(false);
    });
  });
});
