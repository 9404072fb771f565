import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlapBackoff } from '../../src/daemon/flap-backoff.js';
import { exposedAfter } from '../../src/model/exposure.js';
import { byCodePoint } from '../../src/model/code-point-order.js';

// What the daemon sorts on every pass is sorted without localeCompare, whose first call
// loads ICU's collation data (about 3 MiB that stay resident): localeCompare is made to
// throw here.

afterEach(() => {
  vi.restoreAllMocks();
});

function noLocaleCompare(): void {
  vi.spyOn(String.prototype, 'localeCompare').mockImplementation(() => {
    throw new Error('localeCompare called');
  });
}

describe('code point order', () => {
  it('orders by code unit: digits after the separators, capitals before small letters', () => {
    noLocaleCompare();
    const keys = ['b', 'B', 'a', '1', '10', '1:5', '1/32', '1.2', 'a b'];
    expect([...keys].sort(byCodePoint)).toEqual(['1', '1.2', '1/32', '10', '1:5', 'B', 'a', 'a b', 'b']);
    expect(byCodePoint('x', 'x')).toBe(0);
  });

  it('the VIP-like addresses of a pass, and the flap backoff status, are sorted without it', () => {
    noLocaleCompare();
    const lo = {
      name: 'lo',
      up: true,
      linkType: 'loopback',
      addresses: [
        { address: '192.0.2.11', prefixlen: 32, family: 4 as const },
        { address: '192.0.2.9', prefixlen: 32, family: 4 as const },
      ],
    };
    const desired = [{ address: '192.0.2.10', prefixlen: 32, family: 4 as const, dev: 'lo' }];
    expect(exposedAfter([lo], [], desired).map((v) => v.address)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.9']);
    const backoff = new FlapBackoff(
      { maxRepairs: 3, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 4_000 },
      () => 0,
    );
    for (const item of ['route 192.0.2.10/32 dev lo', 'address 192.0.2.10/32 dev lo']) backoff.record(item);
    expect(backoff.status().map((s) => s.item)).toEqual(['address 192.0.2.10/32 dev lo', 'route 192.0.2.10/32 dev lo']);
  });
});
