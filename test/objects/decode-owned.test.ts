import { describe, expect, it } from 'vitest';
import { decodeOwned } from '../../src/objects/registry.js';

// What is wrong with a state file's record, or null.
const ownedProblem = (owned: unknown) => {
  const decoded = decodeOwned(owned);
  return typeof decoded === 'string' ? decoded : null;
};

const address = { address: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' };

describe('decodeOwned: state file contents before they reach /proc/sys or ip', () => {
  it('accepts what rs-agent writes', () => {
    expect(
      ownedProblem({
        sysctls: {
          'net/ipv4/conf/eth0.100/arp_ignore': { original: '0', ifindex: 5 },
          'net/ipv4/conf/all/rp_filter': { original: '2' },
        },
        addresses: [address, { address: '2001:db8::10', prefixlen: 128, family: 6, dev: 'lo' }],
        routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' }],
        links: ['tunl0'],
        modules: ['ipip', 'ip6_tunnel'],
        fou: [
          { port: 6080, family: 4 },
          { port: 6080, family: 6 },
        ],
      }),
    ).toBeNull();
  });

  it.each([
    [null, 'owned is not a mapping'],
    [{ sysctls: [] }, 'owned.sysctls is not a mapping'],
    [{ sysctls: { 'net/ipv4/conf/../../../../etc/shadow': { original: '0' } } }, 'is not a net.ipv4/ipv6 conf sysctl'],
    [{ sysctls: { 'kernel/core_pattern': { original: '0' } } }, 'is not a net.ipv4/ipv6 conf sysctl'],
    [{ sysctls: { 'net/ipv4/conf/all/arp_ignore': { original: '|/bin/sh' } } }, '.original is not an integer value'],
    [{ addresses: {} }, 'owned.addresses is not a list'],
    [
      { addresses: [{ ...address, address: '192.0.2.10 dev eth0' }] },
      'owned.addresses[0].address is not an IPv4 address',
    ],
    [{ addresses: [{ ...address, dev: 'lo\naddress flush' }] }, 'owned.addresses[0].dev is not an interface name'],
    [{ addresses: [{ ...address, prefixlen: 33 }] }, 'owned.addresses[0].prefixlen is out of range'],
    [{ routes: [{ dst: '192.0.2.10', prefixlen: 32, family: 5, dev: 'lo' }] }, 'owned.routes[0].family is not 4 or 6'],
    [{ links: ['a b'] }, 'owned.links[0] is not an interface name'],
    [
      { sysctls: { 'net/ipv4/conf/eth0/arp_ignore': { original: '0', ifindex: '2; x' } } },
      '.ifindex is not a positive integer',
    ],
    [{ modules: ['ipip; rm -rf /'] }, 'owned.modules[0] is not a module name'],
    [{ fou: {} }, 'owned.fou is not a list'],
    [{ fou: [{ port: '6080; ip link del eth0', family: 4 }] }, 'owned.fou[0].port is not a UDP port'],
    [{ fou: [{ port: 6080, family: 5 }] }, 'owned.fou[0].family is not 4 or 6'],
  ])('%j', (owned, problem) => {
    expect(ownedProblem(owned)).toContain(problem);
  });
});
