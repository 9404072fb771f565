import { describe, expect, it } from 'vitest';
import { interfaceNameProblem, kernelNameProblem } from '../../src/config/interface-name.js';
import { decodeOwned } from '../../src/objects/registry.js';

// What is wrong with a state file's record, or null.
const ownedProblem = (owned: unknown) => {
  const decoded = decodeOwned(owned);
  return typeof decoded === 'string' ? decoded : null;
};

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
    ['eth\u00000', 'does not allow'], // NUL ends the name in the kernel
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

// What the kernel alone allows: the names of NICs set up with interfaces: omitted,
// which reach only /proc/sys paths and the state file.
describe('kernelNameProblem', () => {
  it.each(['a#b', '-x', 'q"1\\', "x'y", 'e\x1bc', 'z\x01', 'eth\u0085', 'eth\u3000', 'v\udcff0', '$(id);*'])(
    'accepts %j',
    (name) => {
      expect(kernelNameProblem(name)).toBeNull();
    },
  );

  it.each([
    ['', 'is empty'],
    ['a/b', 'does not allow'],
    ['a:b', 'does not allow'],
    ['a\nb', 'does not allow'],
    ['a\u0000b', 'does not allow'],
    ['..', 'not a valid'],
    ['v\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff\udcff', 'longer than'],
    ['\udcc3\udca9', 'not a name read from the kernel'], // bytes that are é: the kernel's name reads "é"
    ['a\ud800', 'not a name read from the kernel'],
  ])('refuses %j', (name, problem) => {
    expect(kernelNameProblem(name)).toContain(problem);
  });

  it("the state file keeps any such NIC's sysctls, but no such device reaches ip", () => {
    const sysctls = Object.fromEntries(
      ['a#b', '-x', 'e\x1bc', 'v\udcff0'].map((dev) => [`net/ipv4/conf/${dev}/arp_ignore`, { original: '0' }]),
    );
    expect(ownedProblem({ sysctls })).toBeNull();
    expect(ownedProblem({ links: ['a#b'] })).toBe('owned.links[0] is not an interface name');
    expect(ownedProblem({ links: ['e\x1bc'] })).toBe('owned.links[0] is not an interface name');
    expect(ownedProblem({ sysctls: { 'net/ipv4/conf/a\nb/arp_ignore': { original: '0' } } })).toContain(
      'is not a net.ipv4/ipv6 conf sysctl',
    );
  });
});
