import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { needsLeanHeap } from '../../src/cli/lean-heap.js';
import { TestNamespace } from '../helpers/netns.js';

describe('needsLeanHeap', () => {
  it.each([
    ['check', 100, 0, false],
    ['check', 64 * 1024 + 1, 0, true],
    ['stop', 0, 256 * 1024 + 1, true],
    ['start', 1000, 256 * 1024, false],
    ['run', 10 * 1024 * 1024, 0, false], // long-lived: its unit sets the flags
    ['import', 10 * 1024 * 1024, 0, false],
  ])('%s with a %i-byte config and a %i-byte state file: %s', (command, config, state, want) => {
    expect(needsLeanHeap(command, config, state)).toBe(want);
  });
});

// A big pass runs in a second node; what the operator sees must not change.
describe('a big pass on the real kernel', () => {
  let ns: TestNamespace;
  beforeEach(async () => {
    ns = await TestNamespace.create();
    // 5000 VIPs: over the config threshold.
    const vips = Array.from({ length: 5000 }, (_, i) => `  - 198.18.${i >> 8}.${i & 255}\n`).join('');
    ns.writeConfig(`vips:\n${vips}`);
  });
  afterEach(async () => {
    await ns.destroy();
  });

  it('gives the same output and exit status as running in this process', async () => {
    const rerun = await ns.cli(['check']);
    const inProcess = await ns.cli(['check'], { RS_AGENT_LEAN_HEAP: '1' });
    expect(rerun.exitCode).toBe(1);
    expect(rerun).toEqual(inProcess);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(await ns.cli(['check'])).toEqual({ exitCode: 0, stdout: 'in sync', stderr: '' });
    expect((await ns.cli(['stop'])).exitCode).toBe(0);
    expect(await ns.addresses('lo')).toHaveLength(1);
  });
});
