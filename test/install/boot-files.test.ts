import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { renderModulesLoad, renderSysctlDropIn, SYSCTL_DROP_IN } from '../../src/install/boot-files.js';
import type { ActualLink } from '../../src/observe/types.js';
import { desiredState } from '../../src/plan/plan.js';
import { sysctlKey } from '../../src/model/sysctl-path.js';
import { parts } from '../helpers/desired.js';

const settings = (text: string | null) => (text ?? '').split('\n').filter((l) => l && !l.startsWith('#'));

describe('the sysctl.d drop-in', () => {
  it("sorts after systemd's 50-default.conf and before 99-sysctl.conf", () => {
    const name = SYSCTL_DROP_IN.split('/').pop() as string;
    expect(['50-default.conf', name, '99-sysctl.conf'].sort()).toEqual(['50-default.conf', name, '99-sysctl.conf']);
  });

  it('holds exactly the values start sets on a host with the configured NICs and tunnel (TUN: rp_filter 0 on all and tunl0)', () => {
    const config = parseConfig(
      'mode: tun\nvips: [198.51.100.7, {address: 192.0.2.10, mode: dr}]\ninterfaces: [eth0, eth0.100]\narp: {ignore: 2}\n',
      '/etc/rs-agent/rs-agent.yaml',
    );
    const links: ActualLink[] = ['eth0', 'eth0.100'].map((name) => ({
      name,
      up: true,
      linkType: 'ether',
      addresses: [],
    }));
    links.push({ name: 'tunl0', up: true, linkType: 'ipip', addresses: [] });
    const runtime = parts(desiredState(config, links)).sysctls.map((s) => `${sysctlKey(s.path)} = ${s.value}`);
    const text = renderSysctlDropIn(config);
    expect(settings(text)).toEqual(runtime);
    expect(settings(text)).toContain('net.ipv4.conf.eth0/100.arp_ignore = 2');
    expect(settings(text).slice(-2)).toEqual(['net.ipv4.conf.all.rp_filter = 0', 'net.ipv4.conf.tunl0.rp_filter = 0']);
    expect(text).toMatch(/^# Written by "rs-agent install" from \/etc\/rs-agent\/rs-agent\.yaml/);
  });

  it('without interfaces: all, default and lo, and a comment saying why NICs are covered', () => {
    const text = renderSysctlDropIn(parseConfig('vips: [192.0.2.10]\n', 'c.yaml'));
    expect(settings(text)).toEqual([
      'net.ipv4.conf.all.arp_ignore = 1',
      'net.ipv4.conf.all.arp_announce = 2',
      'net.ipv4.conf.default.arp_ignore = 1',
      'net.ipv4.conf.default.arp_announce = 2',
      'net.ipv4.conf.lo.arp_ignore = 1',
      'net.ipv4.conf.lo.arp_announce = 2',
    ]);
    expect(text).toContain('the kernel uses the larger of all and the NIC');
  });

  it('a named IPv4 tunnel gets the rp_filter line instead of tunl0', () => {
    const text = renderSysctlDropIn(parseConfig('mode: tun\nvips: [198.51.100.7]\ntunnel: {ipv4: ipip1}\n', 'c.yaml'));
    expect(settings(text)).toContain('net.ipv4.conf.ipip1.rp_filter = 0');
    expect(text).not.toContain('tunl0');
  });

  it('GRE VIPs: ARP suppression and rp_filter 0 on gre0, the device they arrive on', () => {
    const text = renderSysctlDropIn(
      parseConfig('mode: tun\nvips: [{address: 198.51.100.7, encap: gre}]\ninterfaces: [eth0]\n', 'c.yaml'),
    );
    expect(settings(text)).toEqual(
      expect.arrayContaining([
        'net.ipv4.conf.gre0.arp_ignore = 1',
        'net.ipv4.conf.gre0.arp_announce = 2',
        'net.ipv4.conf.all.rp_filter = 0',
        'net.ipv4.conf.gre0.rp_filter = 0',
      ]),
    );
    expect(text).not.toContain('tunl0');
  });

  it('is not written for an IPv6-only config: it implies no sysctl', () => {
    expect(renderSysctlDropIn(parseConfig('mode: tun\nvips: ["2001:db8::10"]\n', 'c.yaml'))).toBeNull();
  });
});

describe('the modules-load.d file', () => {
  it.each([
    ['vips: [192.0.2.10, "2001:db8::10"]\n', null],
    ['mode: tun\nvips: [198.51.100.7]\n', ['ipip']],
    ['mode: tun\nvips: ["2001:db8::10"]\n', ['ip6_tunnel']],
    ['mode: tun\nvips: [198.51.100.7, "2001:db8::10"]\ntunnel: {ipv6: tun6}\n', ['ipip', 'ip6_tunnel']],
    ['mode: tun\nvips: [{address: 198.51.100.7, encap: gue, port: 6080}]\n', ['ipip', 'fou']],
    ['mode: tun\nvips: [{address: "2001:db8::10", encap: gue, port: 6080}]\n', ['ip6_tunnel', 'fou']],
    [
      'mode: tun\nvips: [{address: 198.51.100.7, encap: gre}, {address: "2001:db8::10", encap: gre}]\n',
      ['ip_gre', 'ip6_gre'],
    ],
    [
      'mode: tun\nvips: [198.51.100.6, {address: 198.51.100.7, encap: gre}, {address: 198.51.100.8, encap: gue, port: 6080}]\n',
      ['ipip', 'ip_gre', 'fou'],
    ],
  ])('%s', (yaml, modules) => {
    const text = renderModulesLoad(parseConfig(yaml, 'c.yaml'));
    expect(text === null ? null : settings(text)).toEqual(modules);
  });
});
