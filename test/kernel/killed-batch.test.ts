import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// An `ip -batch` killed at the command timeout after running part of its lines (a batch of
// 20 000 VIPs takes longer than the 10 s default): the VIPs it did add are rs-agent's, and
// stop removes them. They were recorded as failed, hence not owned, and stayed on lo for good.

const VIPS = Array.from({ length: 40 }, (_, i) => `192.0.2.${10 + i}`);
let ns: TestNamespace;

beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig(`vips: [${VIPS.join(', ')}]\n`);
});
afterEach(async () => {
  await ns.destroy();
});

// A stub `ip` first on PATH: a batch of changes (`ip -force -batch`) runs its first `lines`
// lines with the real ip, then hangs until it is killed; anything else is the real ip.
async function stubIp(lines: number): Promise<{ path: string; pids: () => number[] }> {
  const realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout.trim();
  const bin = join(ns.dir, 'bin');
  const part = join(ns.dir, 'part');
  const pidFile = join(ns.dir, 'stub-pids');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'ip'),
    [
      '#!/bin/sh',
      'if [ "$1" = "-force" ] && [ "$2" = "-batch" ]; then',
      `  head -n ${lines} > ${part}`,
      `  ${realIp} -force -batch ${part}`,
      `  echo $$ >> ${pidFile}`,
      '  exec sleep 3600',
      'fi',
      `exec ${realIp} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'ip'), 0o755);
  const pids = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  return { path: `${bin}:${process.env.PATH}`, pids };
}

describe('an ip batch killed at the timeout after running part of it', () => {
  it('what it added is recorded: stop removes every VIP', async () => {
    const stub = await stubIp(30);
    const start = await ns.cli(['start'], { PATH: stub.path, RS_AGENT_COMMAND_TIMEOUT: '2' });
    expect(start.exitCode).toBe(2);
    expect(start.stdout + start.stderr).toMatch(/no answer after 2 s; killed it/);
    expect(stub.pids()).toHaveLength(1);
    const added = (await ns.addresses('lo')).map((a) => a.local).filter((a) => VIPS.includes(a));
    expect(added.length).toBeGreaterThan(0);
    expect(added.length).toBeLessThan(VIPS.length);

    const stop = await ns.cli(['stop']);
    expect(stop.stdout).not.toContain('left in place');
    expect(stop.exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1']);
  });
});
