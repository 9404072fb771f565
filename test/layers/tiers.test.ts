import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL, PACKAGING, UNIT_ISOLATED } from '../../vitest.config.js';

const ROOT = join(import.meta.dirname, '../..');

// A file a tier names by path must exist: one renamed away would fall into the unit tier,
// which runs as an ordinary user, and fail there for want of root instead of saying why.

describe('vitest.config.ts: the tiers', () => {
  it('every file the kernel and packaging tiers name exists', () => {
    const named = [...KERNEL, ...PACKAGING, ...UNIT_ISOLATED].filter((path) => !path.includes('*'));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  // The unit files share their workers' module graph, in threads: a vi.mock there would take
  // for some files and not others, depending on which file imported the module first, and a
  // worker thread's Date does not follow process.env.TZ.
  it('every test file that replaces a module with vi.mock, or sets TZ, runs isolated', () => {
    const files = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => relative(ROOT, join(ROOT, 'test', f)));
    const mocking = files.filter((f) =>
      /\bvi\.(mock|doMock)\(|process\.env\.TZ =/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(mocking.length).toBeGreaterThan(1);
    const isolated = (f: string) =>
      UNIT_ISOLATED.includes(f) || KERNEL.includes(f) || PACKAGING.includes(f) || /^test\/(kernel|e2e)\//.test(f);
    expect(mocking.filter((f) => !isolated(f))).toEqual([]);
  });
});
