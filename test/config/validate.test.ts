import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

describe('parseConfig: valid configs', () => {
  it('fills defaults and takes a bare address in the default mode', () => {
    const config = parseConfig('vips: [192.0.2.10]\n', 'x.yaml');
    expect(config).toEqual({
      source: 'x.yaml',
      mode: 'dr',
      vips: [{ address: '192.0.2.10', family: 4, mode: 'dr' }],
      interfaces: null,
      arp: { ignore: 1, announce: 2 },
      tunnel: { ipv4: 'tunl0', ipv6: 'ip6tnl0' },
      drift: { schedule: '*/30 * * * * *', sysctlIntervalMs: 500, flap: { maxRepairs: 5, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 300_000 } },
      metrics: { file: null },
    });
  });

  it('takes IPv6 VIPs beside IPv4 ones, canonical, with the same mode rules', () => {
    const config = parseConfig('mode: dr\nvips:\n  - 192.0.2.10\n  - 2001:DB8:0::10/128\n  - {address: "2001:db8::11", mode: tun}\n', 'x.yaml');
    expect(config.vips).toEqual([
      { address: '192.0.2.10', family: 4, mode: 'dr' },
      { address: '2001:db8::10', family: 6, mode: 'dr' },
      { address: '2001:db8::11', family: 6, mode: 'tun' },
    ]);
  });

  it('names non-default tunnel devices per family', () => {
    const config = parseConfig('mode: tun\nvips: [2001:db8::10]\ntunnel: {ipv6: tun6}\n', 'x.yaml');
    expect(config.tunnel).toEqual({ ipv4: 'tunl0', ipv6: 'tun6' });
  });

  it('reads the issue example: default mode, per-VIP mode, interfaces', () => {
    const config = parseConfig(
      'mode: dr\nvips:\n  - 192.0.2.10\n  - address: 198.51.100.7\n    mode: tun\ninterfaces: [eth0]\n',
      'x.yaml',
    );
    expect(config.vips).toEqual([
      { address: '192.0.2.10', family: 4, mode: 'dr' },
      { address: '198.51.100.7', family: 4, mode: 'tun' },
    ]);
    expect(config.interfaces).toEqual(['eth0']);
  });

  it('accepts an explicit /32 and arp.ignore 2', () => {
    const config = parseConfig('mode: tun\nvips: [192.0.2.10/32]\narp: {ignore: 2}\n', 'x.yaml');
    expect(config.vips[0]).toEqual({ address: '192.0.2.10', family: 4, mode: 'tun' });
    expect(config.arp).toEqual({ ignore: 2, announce: 2 });
  });
});

// Each bad config: the key path and the value it names.
const invalid: [string, string, RegExp][] = [
  ['empty file', '', /the file is empty/],
  ['not YAML', 'vips: [192.0.2.10\n', /not valid YAML at line/],
  ['top level a list', '- 192.0.2.10\n', /^config x\.yaml: must be a mapping, not a list$/],
  ['unknown key', 'vips: [192.0.2.10]\nvip: 1\n', /vip: unknown key/],
  ['vips missing', 'mode: dr\n', /vips: is required/],
  ['vips not a list', 'vips: 192.0.2.10\n', /vips: must be a list of addresses, not "192\.0\.2\.10"/],
  ['vips empty', 'vips: []\n', /vips: is empty/],
  ['octet > 255', 'vips: [192.0.2.256]\n', /vips\[0\]: "192\.0\.2\.256" is not an IP address/],
  ['leading zero', 'vips: [192.0.2.010]\n', /vips\[0\]: "192\.0\.2\.010" is not an IP address/],
  ['hostname', 'vips: [www.example.com]\n', /vips\[0\]: "www\.example\.com" is not an IP address/],
  ['number', 'vips: [10]\n', /vips\[0\]: 10 is not an IP address/],
  ['a /24', 'vips: [192.0.2.0/24]\n', /vips\[0\]: "192\.0\.2\.0\/24" is not a single host/],
  ['loopback', 'vips: [127.0.0.2]\n', /vips\[0\]: "127\.0\.0\.2" is a loopback address/],
  ['multicast', 'vips: [224.0.0.1]\n', /is a multicast address/],
  ['unspecified', 'vips: [0.0.0.0]\n', /is the unspecified address/],
  ['broadcast', 'vips: [255.255.255.255]\n', /is the broadcast address/],
  ['v6 link-local', 'vips: ["fe80::10"]\n', /vips\[0\]: "fe80::10" is a link-local address \(fe80::\/10/],
  ['v6 link-local upper', 'vips: ["febf::1"]\n', /is a link-local address/],
  ['v6 multicast', 'vips: ["ff02::1"]\n', /vips\[0\]: "ff02::1" is a multicast address \(ff00::\/8\)/],
  ['v6 loopback', 'vips: ["::1"]\n', /vips\[0\]: "::1" is the loopback address, not usable as a VIP/],
  ['v6 unspecified', 'vips: ["::"]\n', /vips\[0\]: "::" is the unspecified address/],
  ['v6 IPv4-mapped', 'vips: ["::ffff:192.0.2.10"]\n', /is an IPv4-mapped address \(::ffff:0:0\/96; write the IPv4 VIP itself\)/],
  ['v6 IPv4-compatible', 'vips: ["::192.0.2.10"]\n', /is an IPv4-compatible address/],
  ['v6 site-local', 'vips: ["fec0::1"]\n', /is a site-local address/],
  ['v6 /64', 'vips: ["2001:db8::/64"]\n', /vips\[0\]: "2001:db8::\/64" is not a single host: a VIP takes \/128/],
  ['v6 zone', 'vips: ["2001:db8::1%eth0"]\n', /is not an IP address/],
  ['v6 duplicate', 'vips: ["2001:db8::10", "2001:0db8:0:0::0010"]\n', /vips\[1\]: "2001:0db8:0:0::0010" is the same VIP as vips\[0\]/],
  ['tunnel not a mapping', 'vips: [192.0.2.10]\ntunnel: tunl0\n', /tunnel: must be a mapping, not "tunl0"/],
  ['tunnel unknown key', 'vips: [192.0.2.10]\ntunnel: {v6: x}\n', /tunnel\.v6: unknown key; expected one of ipv4, ipv6/],
  ['tunnel bad name', 'vips: [192.0.2.10]\ntunnel: {ipv6: "ip6/tnl"}\n', /tunnel\.ipv6: "ip6\/tnl" has a character/],
  ['tunnel lo', 'vips: [192.0.2.10]\ntunnel: {ipv4: lo}\n', /tunnel\.ipv4: "lo" cannot carry IPv4-in-IPv4 tunnel VIPs/],
  ['tunnel other family', 'vips: [192.0.2.10]\ntunnel: {ipv6: tunl0}\n', /tunnel\.ipv6: "tunl0" cannot carry IPv6-in-IPv6/],
  ['tunnel a NIC', 'vips: [192.0.2.10]\ninterfaces: [eth0]\ntunnel: {ipv4: eth0}\n', /tunnel\.ipv4: "eth0" cannot carry/],
  ['tunnel same both', 'vips: [192.0.2.10]\ntunnel: {ipv4: tun, ipv6: tun}\n', /tunnel\.ipv6: "tun" is also tunnel\.ipv4/],
  ['duplicate', 'vips: [192.0.2.10, 192.0.2.11, 192.0.2.10/32]\n', /vips\[2\]: "192\.0\.2\.10\/32" is the same VIP as vips\[0\]/],
  ['nat mode', 'mode: nat\nvips: [192.0.2.10]\n', /mode: "nat" is not a mode for rs-agent: in LVS-NAT/],
  ['bad mode', 'vips: [{address: 192.0.2.10, mode: gre}]\n', /vips\[0\]\.mode: "gre" is not a mode; use dr or tun/],
  ['vip mapping without address', 'vips: [{mode: dr}]\n', /vips\[0\]\.address: is required/],
  ['vip mapping unknown key', 'vips: [{address: 192.0.2.10, port: 80}]\n', /vips\[0\]\.port: unknown key/],
  ['interface name too long', 'vips: [192.0.2.10]\ninterfaces: [abcdefghijklmnop]\n', /interfaces\[0\]: "abcdefghijklmnop" is longer than the 15/],
  ['interface name with slash', 'vips: [192.0.2.10]\ninterfaces: ["eth/0"]\n', /interfaces\[0\]: "eth\/0" has a character/],
  ['interface lo', 'vips: [192.0.2.10]\ninterfaces: [lo]\n', /interfaces\[0\]: "lo" is always configured/],
  ['interfaces twice', 'vips: [192.0.2.10]\ninterfaces: [eth0, eth0]\n', /interfaces\[1\]: "eth0" is listed twice/],
  ['arp_ignore 0', 'vips: [192.0.2.10]\narp: {ignore: 0}\n', /arp\.ignore: 0 must be 1 or 2/],
  ['arp_announce 1', 'vips: [192.0.2.10]\narp: {announce: 1}\n', /arp\.announce: 1 must be 2/],
];

describe('parseConfig: invalid configs', () => {
  it.each(invalid)('%s', (_name, yaml, message) => {
    let error: unknown;
    try {
      parseConfig(yaml, 'x.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toMatch(/^config x\.yaml: /);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});
