import { describe, expect, it, onTestFinished } from 'vitest';
import { start, validate } from '../../src/agent.js';
import { DEFAULT_DRIFT } from '../../src/config/drift.js';
import { FlapBackoff } from '../../src/daemon/flap-backoff.js';
import { runPass } from '../../src/daemon/pass.js';
import { failureLevel } from '../../src/daemon/pass-log.js';
import { acquireLock } from '../../src/state/lock.js';
import { fakeAgent } from '../helpers/fake-agent.js';
import { address, sysctl } from '../helpers/changes.js';

const gone = "cannot write 1 to /proc/sys/net/ipv4/conf/tunl0/arp_ignore: ENOENT: no such file or directory, open '…'";
const denied = "cannot write 1 to /proc/sys/net/ipv4/conf/all/arp_ignore: EACCES: permission denied, open '…'";

describe('how loud a failed repair is', () => {
  it.each([
    ['an address, first failure', address, 'ip: RTNETLINK answers: No such device', false, 'warning'],
    ['an address, failed on the last pass too', address, 'ip: RTNETLINK answers: No such device', true, 'error'],
    ['rp_filter (not protective), first failure', sysctl('tunl0', 'rp_filter'), gone, false, 'warning'],
    ['arp_ignore that cannot be written', sysctl('all', 'arp_ignore'), denied, false, 'error'],
    ['arp_ignore of a device that is gone', sysctl('tunl0', 'arp_ignore'), gone, false, 'warning'],
    ['arp_announce of a device gone twice in a row', sysctl('tunl0', 'arp_announce'), gone, true, 'error'],
  ] as const)('%s', (_what, change, error, failedLastPass, level) => {
    expect(failureLevel(change, error, failedLastPass)).toBe(level);
  });
});

describe('which passes take the lock before they look', () => {
  // Another holder in the way and no wait allowed: a pass that went for the lock fails.
  it.each([
    [['schedule'], true],
    [['schedule', 'event'], false],
    [['sysctl'], false],
  ] as const)('on a converged host, triggers %j: done without the lock %s', async (triggers, unlocked) => {
    const { opts } = fakeAgent('vips: [192.0.2.10]\ninterfaces: [eth0]\n');
    await start(opts);
    const lock = await acquireLock(opts.stateDir);
    onTestFinished(() => lock.release());
    const result = await runPass({
      agent: { ...opts, lockWaitMs: 0 },
      config: validate(opts),
      backoff: new FlapBackoff(DEFAULT_DRIFT.flap, () => 0),
      previous: null,
      unfinished: new Set(),
      triggers: new Set(triggers),
      now: () => 0,
    });
    if (unlocked) expect(result.error).toBeUndefined();
    else expect(result.error).toMatch(/holds .*lock/);
  });
});
