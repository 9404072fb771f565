import { describe, expect, it } from 'vitest';
import type { ActualLink } from '../../src/observe/types.js';
import { emptyOwned, followRenames, type Owned } from '../../src/objects/registry.js';
import { recordIfindexes } from '../../src/objects/sysctl.js';

const link = (name: string, ifindex: number): ActualLink => ({
  name,
  ifindex,
  up: true,
  linkType: 'ether',
  addresses: [],
});
const owned = (sysctl: Owned['sysctl']): Owned => ({ ...emptyOwned(), sysctl });

describe('sysctl originals through a device rename', () => {
  it('recordIfindexes tags the originals of present devices only, and keeps a tag once given', () => {
    const before = {
      'net/ipv4/conf/eth0/arp_ignore': { original: '0' },
      'net/ipv4/conf/all/arp_ignore': { original: '0' },
    };
    const after = recordIfindexes(before, [link('lo', 1), link('eth0', 2)]);
    expect(after).toEqual({
      'net/ipv4/conf/eth0/arp_ignore': { original: '0', ifindex: 2 },
      'net/ipv4/conf/all/arp_ignore': { original: '0' },
    });
    expect(before['net/ipv4/conf/eth0/arp_ignore']).toEqual({ original: '0' });
    // eth0 renamed and another device given the name: the tag stays the first device's.
    expect(recordIfindexes(after, [link('eth0', 5)])).toEqual(after);
  });

  it('followRenames moves an original to the name its ifindex has now; the moved one wins over one under the new name', () => {
    const before = owned({
      'net/ipv4/conf/eth0/arp_announce': { original: '1', ifindex: 2 },
      'net/ipv6/conf/eth0/disable_ipv6': { original: '0', ifindex: 2 },
      'net/ipv4/conf/lan0/arp_announce': { original: '2', ifindex: 7 },
      'net/ipv4/conf/gone0/arp_announce': { original: '0', ifindex: 9 },
    });
    expect(followRenames(before, [link('lan0', 2)]).sysctl).toEqual({
      'net/ipv4/conf/lan0/arp_announce': { original: '1', ifindex: 2 },
      'net/ipv6/conf/lan0/disable_ipv6': { original: '0', ifindex: 2 },
      'net/ipv4/conf/gone0/arp_announce': { original: '0', ifindex: 9 },
    });
    expect(followRenames(before, [link('eth0', 2), link('lan0', 7)])).toBe(before);
  });
});
