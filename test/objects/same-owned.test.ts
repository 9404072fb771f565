import { describe, expect, it } from 'vitest';
import { decodeOwned, sameOwned, type Owned } from '../../src/objects/registry.js';

// A record as the state file holds it.
const fromFile = (file: Record<string, unknown>) => decodeOwned(file) as Owned;

const host = { address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' };

describe('sameOwned', () => {
  it('the same record whatever the order of keys (a file written by another version, nft added last)', () => {
    const a = fromFile({
      nft: true,
      sysctls: { 'net/ipv4/conf/eth0/x': { original: '0', ifindex: 2 }, 'net/ipv4/conf/all/y': { original: '1' } },
      addresses: [host],
    });
    const b = fromFile(
      JSON.parse(
        JSON.stringify({
          fou: [],
          addresses: [{ dev: 'lo', family: 4, prefixlen: 32, address: '192.0.2.10' }],
          modules: [],
          links: [],
          routes: [],
          sysctls: { 'net/ipv4/conf/all/y': { original: '1' }, 'net/ipv4/conf/eth0/x': { ifindex: 2, original: '0' } },
          nft: true,
        }),
      ) as Record<string, unknown>,
    );
    expect(sameOwned(a, b)).toBe(true);
  });

  it('differs on any value', () => {
    const file = { sysctls: { 'net/ipv4/conf/all/x': { original: '0' } }, addresses: [host] };
    const a = fromFile(file);
    expect(sameOwned(a, fromFile({ ...file, nft: true }))).toBe(false);
    expect(sameOwned(a, fromFile({ ...file, sysctls: { 'net/ipv4/conf/all/x': { original: '0', ifindex: 3 } } }))).toBe(
      false,
    );
    expect(sameOwned(a, fromFile({ ...file, addresses: [{ ...host, dev: 'tunl0' }] }))).toBe(false);
    expect(sameOwned(a, fromFile({ ...file, addresses: [] }))).toBe(false);
  });
});
