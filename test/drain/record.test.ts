import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clearDrained,
  donePath,
  markDrained,
  readDrain,
  removeDrain,
  setDrain,
  storeDrainPath,
} from '../../src/drain/record.js';
import { execa } from 'execa';
import { useTempDir } from '../helpers/temp-dir.js';

const tempDir = useTempDir('rsa-drain-');

describe('the drain record', () => {
  it('set: draining since then, in a directory it creates; the done marker makes it drained; undrain removes both', () => {
    const file = join(tempDir(), 'lib', 'drain');
    expect(readDrain(file)).toBeNull();
    const record = setDrain(file, 'operator', new Date('2030-01-01T00:00:00Z'));
    expect(readDrain(file)).toEqual({ state: 'draining', since: '2030-01-01T00:00:00.000Z', by: 'operator' });
    expect(statSync(file).mode & 0o777).toBe(0o644);
    markDrained(file, record);
    expect(readDrain(file)?.state).toBe('drained');
    clearDrained(file);
    expect(readDrain(file)?.state).toBe('draining');
    markDrained(file, record);
    removeDrain(file);
    expect(readDrain(file)).toBeNull();
  });

  it('setting it again keeps the record in force (its time, who set it)', () => {
    const file = join(tempDir(), 'drain');
    const first = setDrain(file, 'operator', new Date('2030-01-01T00:00:00Z'));
    expect(setDrain(file, 'stop', new Date('2031-01-01T00:00:00Z'))).toEqual(first);
  });

  it("a done marker left by another drain's record does not make this one drained", () => {
    const file = join(tempDir(), 'drain');
    const old = setDrain(file, 'operator');
    markDrained(file, old);
    removeDrain(file);
    writeFileSync(donePath(file), `${old.id}\n`); // as a drain that finished just after undrain would leave it
    setDrain(file, 'operator');
    expect(readDrain(file)?.state).toBe('draining');
  });

  it('a damaged record keeps the host out of the pool (draining), saying what is wrong', () => {
    const file = join(tempDir(), 'drain');
    writeFileSync(file, '{"version": 1, "since": "yesterday"');
    expect(readDrain(file)).toEqual({
      state: 'draining',
      since: null,
      by: null,
      problem: `drain record ${file} is damaged: not a record rs-agent wrote; move it away to put the host back in the pool`,
    });
    expect(readFileSync(file, 'utf8')).toContain('yesterday'); // read, never rewritten
  });

  it('a FIFO at the record is a problem (draining), read without blocking', async () => {
    const file = join(tempDir(), 'drain');
    await execa('mkfifo', [file]);
    expect(readDrain(file)).toEqual({
      state: 'draining',
      since: null,
      by: null,
      problem: `drain record ${file}: cannot read: not a regular file`,
    });
  });
});

describe("the store's drain beside the operator's", () => {
  it('drained while either says so; each set and lifted apart; the store alone is by: store with its reason', () => {
    const file = join(tempDir(), 'lib', 'drain');
    const store = setDrain(storeDrainPath(file), 'store', new Date('2030-01-02T00:00:00Z'), 'kernel');
    expect(readDrain(file)).toEqual({
      state: 'draining',
      since: '2030-01-02T00:00:00.000Z',
      by: 'store',
      store: { since: '2030-01-02T00:00:00.000Z', reason: 'kernel' },
    });
    const local = setDrain(file, 'operator', new Date('2030-01-01T00:00:00Z'));
    expect(readDrain(file)).toMatchObject({ state: 'draining', by: 'operator', since: '2030-01-01T00:00:00.000Z' });
    markDrained(storeDrainPath(file), store);
    expect(readDrain(file)?.state).toBe('drained');
    removeDrain(storeDrainPath(file));
    expect(readDrain(file)).toEqual({ state: 'draining', since: local.since, by: 'operator' });
    setDrain(storeDrainPath(file), 'store');
    removeDrain(file);
    expect(readDrain(file)?.by).toBe('store');
  });

  it("a damaged store record drains the host, as a damaged operator's record does", () => {
    const file = join(tempDir(), 'drain');
    writeFileSync(storeDrainPath(file), 'not a record');
    expect(readDrain(file)).toMatchObject({ state: 'draining', problem: expect.stringContaining('is damaged') });
  });
});
