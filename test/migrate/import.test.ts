import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { importScript } from '../../src/migrate/import.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

// Imports a fixture and loads the YAML the way `rs-agent validate` would.
function load(name: string) {
  const { yaml, result } = importScript(fixture(name), name);
  const config = parseConfig(yaml, name);
  const notes = result.notes.map((n) => `${n.line}: ${n.reason}`);
  return { yaml, config, notes };
}

describe('rs-agent import on real-world script variants', () => {
  it('the lvsdrrip script (case start/stop, ifconfig lo:0, route -host, echo > /proc): the whole YAML', () => {
    const { yaml, config, notes } = load('lvsdrrip.sh');
    expect(yaml).toBe(`# rs-agent config imported by "rs-agent import" from lvsdrrip.sh.
# Review it, then: rs-agent validate --config FILE && rs-agent plan --config FILE
# Unlike the script, rs-agent sets the ARP sysctls before adding any VIP, restores on stop the
# values it found instead of writing 0, and covers every NIC and "default" as well as all and lo.
mode: dr
vips:
  - 192.0.2.10  # line 8: /sbin/ifconfig lo:0 $VIP broadcast $VIP netmask 255.255.255.255 up
# interfaces: omitted, so every ethernet NIC gets ARP suppression (the script named none).
arp:
  ignore: 1  # line 10: echo "1" > /proc/sys/net/ipv4/conf/lo/arp_ignore
  announce: 2  # line 11: echo "2" > /proc/sys/net/ipv4/conf/lo/arp_announce
`);
    expect(config.vips).toEqual([{ address: '192.0.2.10', family: 4, mode: 'dr' }]);
    expect(notes).toEqual([]); // the stop branch's zeros are not mistaken for settings
  });

  it('the LVS-HOWTO realserver script: sourced functions pass, sysctl -p is flagged', () => {
    const { config, notes } = load('realserver.sh');
    expect(config.vips.map((v) => v.address)).toEqual(['198.51.100.20']);
    expect(config.arp).toEqual({ ignore: 1, announce: 2, guard: 'auto' });
    expect(notes).toEqual([expect.stringMatching(/^13: loads sysctl files as they are on this host/)]);
  });

  it('ip and sysctl -w in start()/stop() functions, ${NIC} in keys: the NIC becomes interfaces', () => {
    const { config, notes } = load('dr-ip-sysctl.sh');
    expect(config.vips).toEqual([{ address: '203.0.113.80', family: 4, mode: 'dr' }]);
    expect(config.interfaces).toEqual(['eth0']);
    expect(notes).toEqual([]);
  });

  it('TUN: ifconfig tunl0, modprobe ipip and rp_filter 0 on tunl0 and all are all implied by mode tun', () => {
    const { yaml, config, notes } = load('tun.sh');
    expect(yaml).toContain('mode: tun\n');
    expect(config.vips).toEqual([{ address: '198.51.100.7', family: 4, mode: 'tun' }]);
    expect(notes).toEqual([]);
  });

  it('several VIPs, ${VAR} and "$VAR", a /24 netmask, the 2.4 hidden flag, mixed arp_ignore, ip_forward', () => {
    const { config, notes } = load('several-vips.sh');
    expect(config.vips.map((v) => v.address)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
    expect(config.interfaces).toEqual(['eth1']);
    expect(config.arp.ignore).toBe(2);
    expect(notes).toEqual([
      '9: netmask 255.255.255.0: the kernel gives 192.0.2.12 the prefix /24, so this host takes every address in 192.0.2.0/24 as its own; rs-agent adds the VIP as a single host (/32)',
      expect.stringMatching(/^12: the "hidden" flag/),
      expect.stringMatching(/^13: the "hidden" flag/),
      '14: arp_ignore differs between interfaces; rs-agent sets one value everywhere: took 2, the one the kernel applies (the larger)',
      '18: a real server does not forward packets; rs-agent leaves forwarding alone',
    ]);
  });

  it('dual stack: for loops unrolled, ip -6 on lo and ip6tnl0, start|restart pattern, $(command) flagged', () => {
    const { yaml, config, notes } = load('dual-stack-loop.sh');
    expect(config.vips).toEqual([
      { address: '192.0.2.20', family: 4, mode: 'dr' },
      { address: '192.0.2.21', family: 4, mode: 'dr' },
      { address: '2001:db8::20', family: 6, mode: 'dr' },
      { address: '2001:db8::21', family: 6, mode: 'dr' },
      { address: '2001:db8:0:1::30', family: 6, mode: 'tun' },
    ]);
    expect(yaml).toContain('  - address: "2001:db8:0:1::30"');
    expect(notes).toEqual([
      '21: uses $MYADDR (set on line 7 by a command): rs-agent import cannot know its value; add the VIP by hand',
      '22: ipvsadm configures a director, not a real server',
    ]);
  });
});

describe('rs-agent import: what it refuses or flags', () => {
  it('a script with no VIP is an error, not an empty config', () => {
    expect(() => importScript('#!/bin/sh\necho hello\n', 'x.sh')).toThrow(/^import x\.sh: found no VIP/);
  });

  it('an address on a NIC (a director script) and an unknown command are noted, not translated', () => {
    const { result } = importScript(
      'ifconfig eth0:0 192.0.2.1 up\nifconfig lo:0 192.0.2.10 netmask 255.255.255.255 up\nfrobnicate --all\n',
      'x.sh',
    );
    expect(result.vips.map((v) => v.address)).toEqual(['192.0.2.10']);
    expect(result.notes.map((n) => `${n.line}: ${n.reason}`)).toEqual([
      "1: an address on eth0:0: rs-agent puts VIPs only on lo (DR) and the tunnel devices (TUN); is this a director's script?",
      '3: not translated',
    ]);
  });

  it('arp_ignore 0 in start is refused with a note and the safe default kept; a route to a non-VIP is flagged', () => {
    const { result } = importScript(
      'ip addr add 192.0.2.10/32 dev lo\necho 0 > /proc/sys/net/ipv4/conf/all/arp_ignore\nroute add -host 192.0.2.99 dev lo\n',
      'x.sh',
    );
    expect(result.arp.ignore).toBe(1);
    expect(result.notes.map((n) => n.line)).toEqual([2, 3]);
    expect(result.notes[0]?.reason).toMatch(/arp_ignore 0 on all: rs-agent uses 1 or 2/);
    expect(result.notes[1]?.reason).toMatch(/a route to 192\.0\.2\.99 that is not a VIP/);
  });

  it('a loopback or link-local address is noted with the reason the config would give', () => {
    const { result } = importScript('ip addr add 192.0.2.10/32 dev lo\nip -6 addr add fe80::1/128 dev lo\n', 'x.sh');
    expect(result.notes[0]?.reason).toBe(
      'fe80::1 is a link-local address (fe80::/10: valid on one link only), not usable as a VIP',
    );
  });
});

describe('rs-agent import: what it prints is escaped', () => {
  it('a control character in a script line or in the file name reaches the YAML escaped, one line each', () => {
    const script =
      '#!/bin/sh\nip addr add 192.0.2.10/32 dev lo # \x1b[2J\x1b]0;owned\x07\nsysctl -p /etc/x\x1b[31m.conf\n';
    const { yaml, result } = importScript(script, 'rs\nvips: [198.51.100.1]\x1b[2J');
    expect(yaml).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(yaml).toContain('from rs\\nvips: [198.51.100.1]\\x1b[2J.');
    expect(yaml).toContain('\\x1b[31m');
    expect(parseConfig(yaml, 'x.yaml').vips.map((v) => v.address)).toEqual(['192.0.2.10']);
    expect(result.vips.map((v) => v.address)).toEqual(['192.0.2.10']);
  });
});
