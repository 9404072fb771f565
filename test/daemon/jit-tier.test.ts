import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DAEMON_MAX_OPT } from '../../src/daemon/jit-tier.js';

// V8 ignores a flag it does not know (it prints an error and goes on): a node whose V8
// renamed --max-opt would run the daemon with its optimizing compilers again, silently.
// A hot function in a child node, with the flag set as the daemon sets it and without.
const SCRIPT = `
const flag = process.argv[1];
if (flag) require('node:v8').setFlagsFromString(flag);
function hot(x) { return x * 2 + 1; }
let sum = 0;
for (let i = 0; i < 3e6; i++) sum += hot(i);
const status = %GetOptimizationStatus(hot);
console.log(JSON.stringify({ optimized: (status & 16) !== 0 }));
`;

function optimizedWith(flag: string): boolean {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', SCRIPT, flag], { encoding: 'utf8' });
  return (JSON.parse(out) as { optimized: boolean }).optimized;
}

describe('the daemon JIT tier', () => {
  it('keeps a hot function out of the optimizing compilers, which optimize it otherwise', () => {
    expect(optimizedWith('')).toBe(true);
    expect(optimizedWith(DAEMON_MAX_OPT)).toBe(false);
  });
});
