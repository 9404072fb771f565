import { describe, expect, it } from 'vitest';
import { emptyOwned, sameOwned, type Owned } from '../../src/state/types.js';

const host = { address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' };

describe('sameOwned', () => {
  it('the same record whatever the order of keys (a file written by another version, nft added last)', () => {
    const a: Owned = {
      ...emptyOwned(),
      nft: true,
      sysctls: { x: { original: '0', ifindex: 2 }, y: { original: '1' } },
      addresses: [host],
    };
    const b = JSON.parse(
      JSON.stringify({
        fou: [],
        addresses: [{ dev: 'lo', family: 4, prefixlen: 32, address: '192.0.2.10' }],
        modules: [],
        links: [],
        routes: [],
        sysctls: { y: { original: '1' }, x: { ifindex: 2, original: '0' } },
        nft: true,
      }),
    ) as Owned;
    expect(sameOwned(a, b)).toBe(true);
  });

  it('differs on any value', () => {
    const a: Owned = { ...emptyOwned(), sysctls: { x: { original: '0' } }, addresses: [host] };
    expect(sameOwned(a, { ...a, nft: true })).toBe(false);
    expect(sameOwned(a, { ...a, sysctls: { x: { original: '0', ifindex: 3 } } })).toBe(false);
    expect(sameOwned(a, { ...a, addresses: [{ ...host, dev: 'tunl0' }] })).toBe(false);
    expect(sameOwned(a, { ...a, addresses: [] })).toBe(false);
  });
});
