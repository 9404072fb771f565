import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL, PACKAGING } from '../../vitest.config.js';

// A file a tier names by path must exist: one renamed away would fall into the unit tier,
// which runs as an ordinary user, and fail there for want of root instead of saying why.

describe('vitest.config.ts: the tiers', () => {
  it('every file the kernel and packaging tiers name exists', () => {
    const named = [...KERNEL, ...PACKAGING].filter((path) => !path.includes('*'));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((path) => !existsSync(join(import.meta.dirname, '../..', path)))).toEqual([]);
  });
});
