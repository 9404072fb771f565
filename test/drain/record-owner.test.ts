import { chownSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setDrain } from '../../src/drain/record.js';
import { useTempDir } from '../helpers/temp-dir.js';

// Root: the directory is given to another uid (chown), so this file is in the kernel tier.
const tempDir = useTempDir('rsa-drain-owner-');

describe('the drain record in a directory of another user', () => {
  // rs-agent writes the record as root: in a directory someone else can change, a
  // symlink or FIFO planted there would redirect or block it (DESIGN.md §11).
  it('refuses a directory someone else owns, and a directory below it, writing nothing there', () => {
    const theirs = join(tempDir(), 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 4242, 4242);
    expect(() => setDrain(join(theirs, 'drain'), 'operator')).toThrow(
      `drain record: ${join(theirs, 'drain')}: ${theirs} is owned by uid 4242 and mode 0755`,
    );
    expect(() => setDrain(join(theirs, 'lib', 'drain'), 'operator')).toThrow(/is owned by uid 4242/);
    expect(readdirSync(theirs)).toEqual([]);
  });
});
