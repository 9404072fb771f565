import { describe, expect, it } from 'vitest';
import { interfaceNameProblem } from '../../src/config/interface-name.js';
import { decodeOwned } from '../../src/objects/registry.js';

// The kernel's rule (net/core/dev.c dev_valid_name) minus what is unsafe in an
// `ip -batch` line or a /proc/sys path.
describe('interfaceNameProblem', () => {
  it.each(['eth0', 'vé0', 'eth0.100', 'br-lan', 'wg_0', 'ens1f0np0', 'a', 'αβγδεζη', '123456789012345'])(
    'accepts %j, as the kernel does',
    (name) => {
      expect(interfaceNameProblem(name)).toBeNull();
    },
  );

  it.each([
    ['', 'is empty'],
    ['1234567890123456', 'longer than the 15 bytes'],
    ['ééééééééé', 'longer than the 15 bytes'], // 18 bytes in UTF-8
    ['.', 'not a valid'],
    ['..', 'not a valid'],
    ['eth/0', 'does not allow'],
    ['eth0:1', 'does not allow'],
    ['eth 0', 'does not allow'],
    ['eth\t0', 'does not allow'],
    ['và0', 'does not allow'], // à is C3 A0: the kernel's isspace takes the 0xa0 byte for a space
    ['eth\u00000', 'control'],
    ['eth\u007f', 'control'],
    ['eth\u0085', 'control'],
    ['eth\u3000', 'space'],
    ['eth"0', 'does not pass to ip'],
    ["eth'0", 'does not pass to ip'],
    ['eth#0', 'does not pass to ip'],
    ['eth\\0', 'does not pass to ip'],
    ['-eth0', 'does not pass to ip'],
  ])('refuses %j', (name, problem) => {
    expect(interfaceNameProblem(name)).toContain(problem);
  });

  it('lets a state file that names a non-ASCII NIC be read back', () => {
    expect(typeof decodeOwned({ sysctls: { 'net/ipv4/conf/vé0/arp_ignore': { original: '0' } }, links: ['vé0'] })).toBe(
      'object',
    );
  });
});
