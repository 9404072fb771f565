import { hostname } from 'node:os';
import { validateFilePath } from './file-path.js';
import { expectMapping, isObject, show, type Fail } from './schema.js';
import type { StoreConfig } from './types.js';

export const DEFAULT_PREFIX = '/rs-agent/';
// On disk, not in /run: a host that reboots while the store is away must still find it.
export const DEFAULT_CACHE = '/var/lib/rs-agent/desired-cache.json';
const DEFAULT_TTL_S = 30;
const DEFAULT_HEARTBEAT_S = 60;

// Label keys and values as Kubernetes spells them: short, no '/' in a value, so a
// selector reads the same in YAML, JSON and `etcdctl get`.
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
// A host name is one etcd key segment.
const HOST = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

// `source:` in the local file: where the fleet's desired state lives. Only etcd so far.
export function validateStore(value: unknown, fail: Fail): StoreConfig | null {
  if (value === undefined || value === null) return null;
  const source = expectMapping(value, 'source', fail, ['etcd']);
  if (source.etcd === undefined || source.etcd === null) return fail('source', 'names no store; add etcd:');
  const etcd = expectMapping(source.etcd, 'source.etcd', fail, [
    'endpoints',
    'insecure',
    'prefix',
    'tls',
    'auth',
    'cache',
    'status_ttl',
    'heartbeat',
  ]);
  if (!Array.isArray(etcd.endpoints) || etcd.endpoints.length === 0) {
    return fail(
      'source.etcd.endpoints',
      `must be a list of URLs such as https://192.0.2.1:2379, not ${show(etcd.endpoints)}`,
    );
  }
  const endpoints = etcd.endpoints.map((e: unknown, i: number) =>
    validateEndpoint(e, `source.etcd.endpoints[${i}]`, fail),
  );
  if (etcd.insecure !== undefined && etcd.insecure !== null && typeof etcd.insecure !== 'boolean')
    fail('source.etcd.insecure', `${show(etcd.insecure)} must be true or false`);
  const insecure = etcd.insecure === true;
  const tls = validateTls(etcd.tls, fail);
  validateSchemes(endpoints, insecure, tls !== null, fail);
  let prefix = DEFAULT_PREFIX;
  if (etcd.prefix !== undefined && etcd.prefix !== null) {
    if (typeof etcd.prefix !== 'string' || !/^\/[\x21-\x7e]*$/.test(etcd.prefix)) {
      fail('source.etcd.prefix', `${show(etcd.prefix)} must be a key prefix starting with "/"`);
    }
    prefix = (etcd.prefix as string).endsWith('/') ? (etcd.prefix as string) : `${etcd.prefix as string}/`;
  }
  const ttl = validateSeconds(etcd.status_ttl, 'source.etcd.status_ttl', DEFAULT_TTL_S, 2, fail);
  const heartbeat = validateSeconds(etcd.heartbeat, 'source.etcd.heartbeat', DEFAULT_HEARTBEAT_S, 1, fail);
  return {
    endpoints,
    insecure,
    prefix,
    tls,
    auth: validateAuth(etcd.auth, fail),
    cache: validatePath(etcd.cache, 'source.etcd.cache', DEFAULT_CACHE, fail),
    statusTtlS: ttl,
    heartbeatS: heartbeat,
  };
}

function validateEndpoint(value: unknown, path: string, fail: Fail): string {
  if (typeof value !== 'string') return fail(path, `${show(value)} is not a URL`);
  // Before anything that would echo the value: it may hold a password. No endpoint
  // needs an '@' otherwise.
  if (value.includes('@'))
    return fail(
      path,
      'has a user name or password in it (user:password@); the value is not shown: ' +
        'give only the scheme, host and port, and the credentials in a file named by source.etcd.auth.file',
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(path, `${show(value)} is not a URL such as https://192.0.2.1:2379`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail(path, `${show(value)} must start with http:// or https://`);
  if (url.pathname !== '/' || url.search || url.hash) fail(path, `${show(value)} must be a scheme, host and port only`);
  return value.replace(/\/$/, '');
}

// One kind of connection for every member (the etcd client cannot mix them): https://,
// verified against tls.ca or the system's CAs, or http:// where the operator said
// insecure: true, knowing that anyone on the path can read and change this host's VIPs.
function validateSchemes(endpoints: string[], insecure: boolean, tls: boolean, fail: Fail): void {
  const plain = endpoints.filter((e) => e.startsWith('http://'));
  if (plain.length > 0 && plain.length < endpoints.length)
    fail(
      'source.etcd.endpoints',
      'mixes http:// and https://; the etcd client uses one kind of connection for every member: make them all https://',
    );
  if (plain.length === 0) return;
  if (tls) fail('source.etcd.tls', 'is set but the endpoints are http://; use https:// endpoints with it');
  if (!insecure)
    fail(
      'source.etcd.endpoints',
      `${show(plain[0])} is plaintext: anyone on the path can read and change this host's VIPs; ` +
        'use https:// (with tls: for your own CA), or set source.etcd.insecure: true',
    );
}

// Credentials for etcd's user/password authentication: only from a file (checked like a
// key: root's alone), never in the config or an endpoint, where they would be shown.
function validateAuth(value: unknown, fail: Fail): StoreConfig['auth'] {
  if (value === undefined || value === null) return null;
  const auth = expectMapping(value, 'source.etcd.auth', fail, ['file']);
  if (auth.file === undefined)
    fail('source.etcd.auth.file', 'is required: a file holding username: and password: (mode 0600)');
  return { file: validatePath(auth.file, 'source.etcd.auth.file', '', fail) };
}

function validateTls(value: unknown, fail: Fail): StoreConfig['tls'] {
  if (value === undefined || value === null) return null;
  const tls = expectMapping(value, 'source.etcd.tls', fail, ['ca', 'cert', 'key']);
  if (tls.ca === undefined)
    fail('source.etcd.tls.ca', "is required: the CA that signed the etcd members' certificates");
  const ca = validatePath(tls.ca, 'source.etcd.tls.ca', '', fail);
  const cert = tls.cert === undefined ? null : validatePath(tls.cert, 'source.etcd.tls.cert', '', fail);
  const key = tls.key === undefined ? null : validatePath(tls.key, 'source.etcd.tls.key', '', fail);
  if ((cert === null) !== (key === null))
    fail(
      cert ? 'source.etcd.tls.key' : 'source.etcd.tls.cert',
      'is required with the other: a client certificate needs its key',
    );
  return { ca, cert, key };
}

function validatePath(value: unknown, path: string, fallback: string, fail: Fail): string {
  if (value === undefined || value === null) return fallback;
  return validateFilePath(value, path, fail);
}

function validateSeconds(value: unknown, path: string, fallback: number, min: number, fail: Fail): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 3600) {
    return fail(path, `${show(value)} must be a whole number of seconds from ${min} to 3600`);
  }
  return value;
}

// Whether a value can be this host's name in the store (one key segment).
export function isHostName(value: unknown): value is string {
  return typeof value === 'string' && HOST.test(value);
}

// allow-empty/all is every host's: a host named "all" would turn its own into the fleet's.
const RESERVED_HOST = 'all';
const RESERVED_WHY = 'allow-empty/all lets every host of the fleet be emptied';

// host:, or the system's host name, which must be one too where a store uses it.
export function validateHost(value: unknown, store: boolean, fail: Fail): string {
  if (value === undefined || value === null) {
    const system = hostname();
    if (store && !isHostName(system))
      fail(
        'host',
        `is not set, and the system host name ${show(system)} cannot stand in for it (letters, digits, '.', '-', '_': ` +
          'it is one segment of a store key); set host:',
      );
    if (store && system === RESERVED_HOST)
      fail('host', `is not set, and the system host name "all" cannot stand in for it: ${RESERVED_WHY}; set host:`);
    return system;
  }
  if (value === RESERVED_HOST) return fail('host', `"all" cannot be a host name: ${RESERVED_WHY}`);
  if (!isHostName(value)) {
    return fail(
      'host',
      `${show(value)} must be a host name (letters, digits, '.', '-', '_'): it is one segment of a store key`,
    );
  }
  return value;
}

export function validateLabels(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined || value === null) return {};
  return validateLabelMap(value, 'labels', fail);
}

// labels: and a store selector: share this shape, so both take the same values.
export function validateLabelMap(value: unknown, path: string, fail: Fail): Record<string, string> {
  if (!isObject(value)) return fail(path, `must be a mapping of label to value, not ${show(value)}`);
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!LABEL.test(key))
      fail(`${path}.${show(key)}`, 'is not a label name (letters, digits, ".", "-", "_"; at most 63)');
    const text = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (typeof text !== 'string' || !LABEL.test(text))
      fail(`${path}.${key}`, `${show(raw)} is not a label value (letters, digits, ".", "-", "_"; at most 63)`);
    out[key] = text as string;
  }
  return out;
}
