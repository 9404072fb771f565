import { describe, expect, it } from 'vitest';
import { ipBatchLine, isAlreadyDone } from '../../src/apply/ip-batch.js';
import type { AddressChange } from '../../src/objects/address.js';
import type { FouChange } from '../../src/objects/fou.js';

const add: AddressChange = {
  kind: 'address',
  action: 'add',
  target: 't',
  from: 'absent',
  to: 'present',
  address: '192.0.2.10',
  prefixlen: 32,
  family: 4,
  dev: 'lo',
  label: 'lo:0',
  safety: { provides: [], needs: [] },
};

describe('ipBatchLine: the last line of defence before ip', () => {
  it('writes a plain line', () => {
    expect(ipBatchLine(add)).toBe('address add 192.0.2.10/32 dev lo label lo:0');
  });

  it.each([
    ['a newline in a device', { dev: 'lo\naddress flush dev eth0' }],
    ['a space in an address', { address: '192.0.2.10/32 dev eth0' }],
    ['a comment', { label: 'lo:0#x' }],
    ['a quote', { dev: 'lo"' }],
    ['an option', { dev: '-all' }],
  ])('refuses %s', (_name, field) => {
    expect(() => ipBatchLine({ ...add, ...field })).toThrow(
      /^refusing to pass ".*" to ip: not an interface name or address$/,
    );
  });
});

describe('isAlreadyDone: "File exists" counts as done only when what exists is what was asked for', () => {
  const add = (address: string, family: 4 | 6) =>
    ({
      kind: 'address',
      action: 'add',
      target: '',
      from: 'absent',
      to: 'present',
      address,
      prefixlen: family === 4 ? 32 : 128,
      safety: { provides: [], needs: [] },
      family,
      dev: 'lo',
    }) satisfies AddressChange;
  it('IPv4: the kernel says it only for the same address and prefix', () => {
    expect(isAlreadyDone(add('192.0.2.10', 4), 'RTNETLINK answers: File exists')).toBe(true);
  });
  it('IPv6: the kernel says it for the same address at any prefix, so it is a failure', () => {
    expect(isAlreadyDone(add('2001:db8::10', 6), 'RTNETLINK answers: File exists')).toBe(false);
  });
});

describe('ipBatchLine: GUE listeners', () => {
  const fou = (action: 'add' | 'delete', family: 4 | 6, port = 6080) => {
    const change: FouChange = {
      kind: 'fou',
      action,
      target: 't',
      from: null,
      to: null,
      port,
      family,
      safety: { provides: [], needs: [] },
    };
    return ipBatchLine(change);
  };

  it('adds and deletes per family, as ip fou takes them (-6 trailing)', () => {
    expect(fou('add', 4)).toBe('fou add port 6080 gue');
    expect(fou('add', 6)).toBe('fou add port 6080 gue -6');
    expect(fou('delete', 4)).toBe('fou del port 6080');
    expect(fou('delete', 6)).toBe('fou del port 6080 -6');
  });

  it('refuses a port that is not one', () => {
    expect(() => fou('add', 4, 0)).toThrow(/not a UDP port/);
    expect(() => fou('add', 4, 1.5)).toThrow(/not a UDP port/);
  });
});
