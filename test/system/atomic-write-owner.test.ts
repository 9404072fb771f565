import { chownSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, WriteError } from '../../src/system/atomic-write.js';
import { useTempDir } from '../helpers/temp-dir.js';

// Every write checks its directory as StrictModes would. Giving a directory to another user
// takes root: atomic-write.test.ts's case of the kernel tier.

describe('writeFileAtomic', () => {
  const dir = useTempDir('rsa-atomic-');

  it("a directory that is someone else's: refused before anything is created, naming it, its owner and mode", () => {
    const theirs = join(dir(), 'textfile');
    mkdirSync(theirs);
    chownSync(theirs, 4242, 0);
    const attempt = () => writeFileAtomic(join(theirs, 'rs-agent.prom'), 'a 1\n', { mode: 0o644, durable: false });
    expect(attempt).toThrow(WriteError);
    expect(attempt).toThrow(
      `cannot write ${theirs}/rs-agent.prom: ${theirs} is owned by uid 4242 and mode 0755: it must be owned by root and writable by no one else`,
    );
    expect(readdirSync(theirs)).toEqual([]);
  });
});
