import { describe, expect, it } from 'vitest';
import { observeFou, parseFouShow } from '../../src/observe/fou.js';
import { CommandError } from '../../src/errors.js';
import type { Runner } from '../../src/system/runner.js';

// Captured in the e2e VM (iproute2 6.1, kernel 6.1) after `ip fou add port 7000 ipproto 4`,
// `ip fou add port 6080 gue -6` and `ip fou add port 6080 gue`: `ip -json fou show`
// (the same with -6: it lists both families).
const CAPTURED =
  '[{"port":7000,"ipproto":4,"family":"inet"},{"port":6080,"gue":null,"family":"inet6"},{"port":6080,"gue":null,"family":"inet"}]\n';

const runner = (exitCode: number, stdout: string, stderr = ''): Runner => ({
  run: async () => ({ exitCode, stdout, stderr }),
});

describe('parseFouShow', () => {
  it('reads GUE and bare-protocol listeners of both families', () => {
    expect(parseFouShow(CAPTURED)).toEqual([
      { port: 7000, family: 4, kind: 'ipproto 4' },
      { port: 6080, family: 6, kind: 'gue' },
      { port: 6080, family: 4, kind: 'gue' },
    ]);
    expect(parseFouShow('[]\n')).toEqual([]);
  });

  it('refuses output that is not a JSON list', () => {
    expect(() => parseFouShow('port 6080 gue')).toThrow(/not JSON/);
    expect(() => parseFouShow('{}')).toThrow(/not a list/);
  });
});

describe('observeFou', () => {
  it('the fou module not loaded (its netlink family missing): null, no listener anywhere', async () => {
    // What ip prints then (captured in the VM before modprobe fou, and on this host).
    expect(
      await observeFou(runner(1, '', 'RTNETLINK answers: No such file or directory\nError talking to the kernel\n')),
    ).toBeNull();
  });

  it('any other failure is an error naming the command', async () => {
    await expect(observeFou(runner(1, '', 'RTNETLINK answers: Operation not permitted\n'))).rejects.toThrow(
      CommandError,
    );
    await expect(observeFou(runner(1, '', 'RTNETLINK answers: Operation not permitted\n'))).rejects.toThrow(
      /ip -json fou show/,
    );
  });

  it('parses what it lists', async () => {
    expect(await observeFou(runner(0, CAPTURED))).toHaveLength(3);
  });
});
