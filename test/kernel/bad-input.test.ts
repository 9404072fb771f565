import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_CONFIGS } from '../config/invalid-configs.js';
import { TestNamespace } from '../helpers/netns.js';

// Every malformed config of the parser's table, through the real CLI on the real
// kernel: exit 2, one line on stderr naming the file, key path and value, no stack
// trace, and the host exactly as it was (addresses on lo, the ARP sysctls, no state file).

const ARP = ['all', 'default', 'lo', 'eth0'].flatMap((dev) => [
  `net/ipv4/conf/${dev}/arp_ignore`,
  `net/ipv4/conf/${dev}/arp_announce`,
]);

let ns: TestNamespace;
let pristine: string;

// One process for the whole picture: lo's addresses and every ARP sysctl.
async function host(): Promise<string> {
  return [JSON.stringify(await ns.addresses('lo')), await ns.exec(['cat', ...ARP.map((p) => `/proc/sys/${p}`)])].join(
    '\n',
  );
}

beforeAll(async () => {
  ns = await TestNamespace.create();
  pristine = await host();
});
afterAll(async () => {
  await ns.destroy();
});

describe.concurrent('bad configs through the real CLI', () => {
  it.each(INVALID_CONFIGS.map((c, i) => ({ ...c, i })))('start: $name', async ({ yaml, message, i }) => {
    const path = join(ns.dir, `bad-${i}.yaml`);
    writeFileSync(path, yaml, { mode: 0o644 });
    const result = await ns.cli(['start'], {}, path);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('\n'); // one line (execa strips the final newline)
    expect(result.stderr.startsWith(`rs-agent: config ${path}: `)).toBe(true);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(await host()).toBe(pristine);
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  });
});
