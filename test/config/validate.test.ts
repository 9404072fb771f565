import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { INVALID_CONFIGS } from './invalid-configs.js';

describe('parseConfig: valid configs', () => {
  it('fills defaults and takes a bare address in the default mode', () => {
    const config = parseConfig('vips: [192.0.2.10]\n', 'x.yaml');
    expect(config).toEqual({
      file: 'x.yaml',
      vips: [{ address: '192.0.2.10', family: 4, mode: 'dr' }],
      interfaces: null,
      arp: { ignore: 1, announce: 2, guard: 'auto' },
      tunnel: { ipv4: 'tunl0', ipv6: 'ip6tnl0', mss: { ipv4: 'auto', ipv6: 'auto' } },
      drift: {
        schedule: '*/30 * * * * *',
        sysctlIntervalMs: 100,
        sysctlGuardedIntervalMs: 1_000,
        flap: { maxRepairs: 5, windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 300_000 },
      },
      metrics: { file: null },
      drain: { quietMs: 10_000, timeoutMs: 300_000, onStop: false, file: '/var/lib/rs-agent/drain' },
      health: { listen: null, agent: null, agentWeight: null, check: null, checkTimeoutMs: 2000 },
      store: null,
      host: hostname(),
      labels: {},
    });
  });

  it('reads drain: and health: (durations in seconds or with a unit, addresses canonical)', () => {
    const config = parseConfig(
      'vips: [192.0.2.10]\ndrain: {quiet: 3, timeout: 2m, on_stop: true, file: /srv/rs/drain}\n' +
        'health: {listen: "192.0.2.21:9100", agent: "[2001:DB8::21]:9101", agent_weight: 75, check: "http://127.0.0.1:8080/ping", check_timeout: 500ms}\n',
      'x.yaml',
    );
    expect(config.drain).toEqual({ quietMs: 3000, timeoutMs: 120_000, onStop: true, file: '/srv/rs/drain' });
    expect(config.health).toEqual({
      listen: { address: '192.0.2.21', port: 9100 },
      agent: { address: '2001:db8::21', port: 9101 },
      agentWeight: 75,
      check: { kind: 'http', url: 'http://127.0.0.1:8080/ping' },
      checkTimeoutMs: 500,
    });
    expect(
      parseConfig('vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", check: "127.0.0.1:80"}\n', 'x').health.check,
    ).toEqual({ kind: 'tcp', address: '127.0.0.1', port: 80 });
  });

  it('takes IPv6 VIPs beside IPv4 ones, canonical, with the same mode rules', () => {
    const config = parseConfig(
      'mode: dr\nvips:\n  - 192.0.2.10\n  - 2001:DB8:0::10/128\n  - {address: "2001:db8::11", mode: tun}\n',
      'x.yaml',
    );
    expect(config.vips).toEqual([
      { address: '192.0.2.10', family: 4, mode: 'dr' },
      { address: '2001:db8::10', family: 6, mode: 'dr' },
      { address: '2001:db8::11', family: 6, mode: 'tun' },
    ]);
  });

  it.each([
    ['tunnel: {mss: off}', { ipv4: 'off', ipv6: 'off' }],
    ['tunnel: {mss: 1400}', { ipv4: 1400, ipv6: 1400 }],
    ['tunnel: {mss: {ipv4: 536}}', { ipv4: 536, ipv6: 'auto' }],
    ['tunnel: {mss: {ipv4: 1400, ipv6: off}}', { ipv4: 1400, ipv6: 'off' }],
    ['tunnel: {mss: {ipv6: 1220}}', { ipv4: 'auto', ipv6: 1220 }],
    ['tunnel: {mss: auto}', { ipv4: 'auto', ipv6: 'auto' }],
  ])('tunnel.mss: %s', (yaml, mss) => {
    expect(parseConfig(`mode: tun\nvips: [192.0.2.10]\n${yaml}\n`, 'x.yaml').tunnel.mss).toEqual(mss);
  });

  it('names non-default tunnel devices per family', () => {
    const config = parseConfig('mode: tun\nvips: [2001:db8::10]\ntunnel: {ipv6: tun6}\n', 'x.yaml');
    expect(config.tunnel).toEqual({ ipv4: 'tunl0', ipv6: 'tun6', mss: { ipv4: 'auto', ipv6: 'auto' } });
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
    expect(config.arp).toEqual({ ignore: 2, announce: 2, guard: 'auto' });
  });
});

describe('parseConfig: invalid configs', () => {
  it.each(INVALID_CONFIGS)('$name', ({ yaml, message }) => {
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
