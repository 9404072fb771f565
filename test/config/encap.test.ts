import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

describe("parseConfig: a TUN VIP's encapsulation", () => {
  it('takes encap gue with its port, encap gre, and leaves a plain TUN VIP as it was (ipip)', () => {
    const config = parseConfig(
      [
        'mode: tun',
        'vips:',
        '  - {address: 198.51.100.7, encap: gue, port: 6080}',
        '  - {address: "2001:db8::7", encap: gre}',
        '  - {address: 198.51.100.8, encap: ipip}',
        '  - 198.51.100.9',
        '  - {address: 192.0.2.10, mode: dr}',
      ].join('\n'),
      'x.yaml',
    );
    expect(config.vips).toEqual([
      { address: '198.51.100.7', family: 4, mode: 'tun', encap: 'gue', port: 6080 },
      { address: '2001:db8::7', family: 6, mode: 'tun', encap: 'gre' },
      { address: '198.51.100.8', family: 4, mode: 'tun', encap: 'ipip' },
      { address: '198.51.100.9', family: 4, mode: 'tun' },
      { address: '192.0.2.10', family: 4, mode: 'dr' },
    ]);
  });

  it.each([
    [
      'encap on a DR VIP',
      'vips: [{address: 192.0.2.10, encap: gue, port: 6080}]',
      'vips[0].encap: "gue" applies to TUN VIPs only; this VIP is dr',
    ],
    [
      'port on a DR VIP',
      'mode: dr\nvips: [{address: 192.0.2.10, port: 6080}]',
      'vips[0].port: 6080 applies to TUN VIPs only; this VIP is dr',
    ],
    [
      'an unknown encap',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: vxlan}]',
      'vips[0].encap: "vxlan" is not an encapsulation; use ipip, gue or gre (as ipvsadm --tun-type)',
    ],
    [
      'GUE without a port',
      'mode: tun\nvips: [192.0.2.9, {address: 192.0.2.10, encap: gue}]',
      'vips[1].port: is required with encap gue: the UDP port the director sends to (ipvsadm --tun-port)',
    ],
    [
      'a port with GRE',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: gre, port: 6080}]',
      'vips[0].port: 6080: a port applies to encap gue only; this VIP is gre',
    ],
    [
      'a port with the default encap',
      'mode: tun\nvips: [{address: 192.0.2.10, port: 6080}]',
      'vips[0].port: 6080: a port applies to encap gue only; this VIP is ipip',
    ],
    [
      'port 0',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: gue, port: 0}]',
      'vips[0].port: 0 is not a UDP port (1-65535)',
    ],
    [
      'port 65536',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: gue, port: 65536}]',
      'vips[0].port: 65536 is not a UDP port (1-65535)',
    ],
    [
      'a port as text',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: gue, port: "6080"}]',
      'vips[0].port: "6080" is not a UDP port (1-65535)',
    ],
    [
      'a fractional port',
      'mode: tun\nvips: [{address: 192.0.2.10, encap: gue, port: 6080.5}]',
      'vips[0].port: 6080.5 is not a UDP port (1-65535)',
    ],
  ])('%s is an error naming the key and value', (_name, yaml, message) => {
    let error: unknown;
    try {
      parseConfig(yaml, 'x.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`config x.yaml: ${message}`);
  });
});
