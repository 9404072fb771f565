import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

const base = 'source:\n  etcd:\n    endpoints: [https://192.0.2.1:2379]\n';

describe('config: a store', () => {
  it('fills the defaults; VIPs may all come from the store', () => {
    const config = parseConfig(`${base}host: rs-web-01\nlabels: {pool: web, dc: ams1}\n`, 'x.yaml');
    expect(config.vips).toEqual([]);
    expect(config.store).toEqual({
      endpoints: ['https://192.0.2.1:2379'],
      prefix: '/rs-agent/',
      tls: null,
      cache: '/var/lib/rs-agent/desired-cache.json',
      statusTtlS: 30,
      heartbeatS: 60,
    });
    expect(config).toMatchObject({ host: 'rs-web-01', labels: { pool: 'web', dc: 'ams1' } });
  });

  it('takes TLS with a client certificate and a prefix without its slash', () => {
    const config = parseConfig(
      `${base}    prefix: /lb\n    tls: {ca: /etc/ca.pem, cert: /etc/c.pem, key: /etc/k.pem}\nvips: [192.0.2.10]\n`,
      'x.yaml',
    );
    expect(config.store).toMatchObject({
      prefix: '/lb/',
      tls: { ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/k.pem' },
    });
    expect(config.vips).toHaveLength(1);
  });

  it.each([
    ['source: {consul: {}}\n', 'source.consul: unknown key; expected one of etcd'],
    ['source: {etcd: {endpoints: []}}\n', 'source.etcd.endpoints: must be a list of URLs'],
    ['source: {etcd: {endpoints: [192.0.2.1]}}\n', 'source.etcd.endpoints[0]: "192.0.2.1" is not a URL'],
    [
      'source: {etcd: {endpoints: ["ftp://192.0.2.1:2379"]}}\n',
      'source.etcd.endpoints[0]: "ftp://192.0.2.1:2379" must start with http:// or https://',
    ],
    [`${base}    prefix: rs\n`, 'source.etcd.prefix: "rs" must be a key prefix starting with "/"'],
    [`${base}    tls: {ca: /ca.pem, cert: /c.pem}\n`, 'source.etcd.tls.key: is required with the other'],
    [`${base}    heartbeat: 0\n`, 'source.etcd.heartbeat: 0 must be a whole number of seconds from 1 to 3600'],
    [`${base}host: a/b\n`, 'host: "a/b" must be a host name'],
    [`${base}labels: {pool: [web]}\n`, 'labels.pool: a list is not a label value'],
    ['labels: {pool: web}\n', 'vips: is required'],
  ])('refuses %j', (yaml, message) => {
    expect(() => parseConfig(yaml, 'x.yaml')).toThrow(`config x.yaml: ${message}`);
  });
});
