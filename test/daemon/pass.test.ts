import { describe, expect, it } from 'vitest';
import { failureLevel } from '../../src/daemon/pass-log.js';
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
