import { describe, expect, it } from 'vitest';
import { canonicalIPv6, parseVipAddress } from '../../src/config/address.js';

describe('parseVipAddress', () => {
  it.each([
    ['192.0.2.10', { address: '192.0.2.10', family: 4 }],
    ['192.0.2.10/32', { address: '192.0.2.10', family: 4 }],
    ['2001:DB8:0:0::10', { address: '2001:db8::10', family: 6 }],
    ['2001:db8::10/128', { address: '2001:db8::10', family: 6 }],
  ])('%s', (text, want) => {
    expect(parseVipAddress(text)).toEqual(want);
  });

  it.each([
    'fe80::1',
    'ff05::2',
    '::1',
    '::',
    '::ffff:c000:20a',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.-4',
    '2001:db8::10/64',
    '192.0.2.1/31',
    'fe80::1%eth0',
    '',
  ])('rejects %s', (text) => {
    expect(typeof parseVipAddress(text)).toBe('string');
  });
});

describe('canonicalIPv6', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0010', '2001:db8::10'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::', '::'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
  ])('%s → %s', (text, want) => {
    expect(canonicalIPv6(text)).toBe(want);
  });
});
