import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

const base = 'source:\n  etcd:\n    endpoints: [https://192.0.2.1:2379]\n';

describe('config: a store', () => {
  it('fills the defaults; VIPs may all come from the store', () => {
    const config = parseConfig(`${base}host: rs-web-01\nlabels: {pool: web, dc: ams1}\n`, 'x.yaml');
    expect(config.vips).toEqual([]);
    expect(config.store).toEqual({
      endpoints: ['https://192.0.2.1:2379'],
      insecure: false,
      prefix: '/rs-agent/',
      tls: null,
      auth: null,
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

  it('takes http:// endpoints where insecure: true says so, and credentials from a file', () => {
    const config = parseConfig(
      'source: {etcd: {endpoints: [http://192.0.2.1:2379, http://192.0.2.2:2379], insecure: true, auth: {file: /etc/rs-agent/etcd-auth.yaml}}}\n',
      'x.yaml',
    );
    expect(config.store).toMatchObject({ insecure: true, auth: { file: '/etc/rs-agent/etcd-auth.yaml' } });
  });

  it('refuses a password in an endpoint without showing it', () => {
    for (const url of ['https://root:s3cret@192.0.2.1:2379', 'root:s3cret@192.0.2.1:2379', 'ftp://:s3cret@x']) {
      let message = '';
      try {
        parseConfig(`source: {etcd: {endpoints: [https://192.0.2.2:2379, "${url}"]}}\n`, 'x.yaml');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'config x.yaml: source.etcd.endpoints[1]: has a user name or password in it (user:password@); the value is not shown: ' +
          'give only the scheme, host and port, and the credentials in a file named by source.etcd.auth.file',
      );
    }
  });

  it.each([
    [
      'source: {etcd: {endpoints: [http://192.0.2.1:2379]}}\n',
      'source.etcd.endpoints: "http://192.0.2.1:2379" is plaintext: anyone on the path can read and change this host\'s VIPs; use https:// (with tls: for your own CA), or set source.etcd.insecure: true',
    ],
    [
      'source: {etcd: {endpoints: [https://192.0.2.1:2379, http://192.0.2.2:2379], insecure: true}}\n',
      'source.etcd.endpoints: mixes http:// and https://; the etcd client uses one kind of connection for every member',
    ],
    [
      'source: {etcd: {endpoints: [http://192.0.2.1:2379], insecure: true, tls: {ca: /ca.pem}}}\n',
      'source.etcd.tls: is set but the endpoints are http://; use https:// endpoints with it',
    ],
    [`${base}    insecure: yes please\n`, 'source.etcd.insecure: "yes please" must be true or false'],
    [`${base}    auth: {user: root}\n`, 'source.etcd.auth.user: unknown key; expected one of file'],
    [`${base}    auth: {}\n`, 'source.etcd.auth.file: is required: a file holding username: and password: (mode 0600)'],
    [`${base}    auth: {file: etcd.yaml}\n`, 'source.etcd.auth.file: "etcd.yaml" must be an absolute file path'],
  ])('refuses %j', (yaml, message) => {
    expect(() => parseConfig(yaml, 'x.yaml')).toThrow(`config x.yaml: ${message}`);
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
    [
      `${base}host: all\n`,
      'host: "all" cannot be a host name: allow-empty/all lets every host of the fleet be emptied',
    ],
    [`${base}labels: {pool: [web]}\n`, 'labels.pool: a list is not a label value'],
    ['labels: {pool: web}\n', 'vips: is required'],
  ])('refuses %j', (yaml, message) => {
    expect(() => parseConfig(yaml, 'x.yaml')).toThrow(`config x.yaml: ${message}`);
  });
});
