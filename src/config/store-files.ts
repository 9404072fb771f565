import type { KeyObject, X509Certificate } from 'node:crypto';
import { CORE_SCHEMA, load as parseYaml } from 'js-yaml';
import { ConfigError } from '../errors.js';
import { crypto } from '../system/crypto.js';
import { defaultOwners } from '../system/trusted-path.js';
import { readTrustedFile, type ReadConfigOptions } from './read-file.js';
import { StoreCredentials, type Auth, type Tls } from './store-credentials.js';
import type { StoreConfig } from './types.js';

// A CA bundle is a few kilobytes; anything this large is not one.
const MAX_FILE_BYTES = 1024 * 1024;

export function loadStoreCredentials(
  store: StoreConfig,
  source: string,
  options: ReadConfigOptions = {},
): StoreCredentials {
  const read = (key: string, path: string, what: string, secret: boolean) => {
    const fail = (detail: string): never => {
      throw new ConfigError(source, key, `${path}: ${detail}`);
    };
    // Root or, run as root, also the service user the packaged units read them as
    // (system/service-user.ts): a key of its own, mode 0600, is as safe as one of root's.
    const owners = defaultOwners();
    const rules = { ...options, secret, owners, maxBytes: MAX_FILE_BYTES, what, missing: 'no such file' };
    return { content: readTrustedFile(path, rules, fail), fail };
  };
  let tls: Tls | null = null;
  if (store.tls) {
    const ca = read('source.etcd.tls.ca', store.tls.ca, 'a CA file', false);
    certificate(ca.content, ca.fail);
    tls = { rootCertificate: ca.content };
    if (store.tls.cert && store.tls.key) {
      const cert = read('source.etcd.tls.cert', store.tls.cert, 'a certificate file', false);
      const key = read('source.etcd.tls.key', store.tls.key, 'a key file', true);
      const x509 = certificate(cert.content, cert.fail);
      if (!x509.checkPrivateKey(privateKey(key.content, key.fail)))
        key.fail(`is not the key of the certificate in ${store.tls.cert}`);
      tls = { ...tls, certChain: cert.content, privateKey: key.content };
    }
  }
  let auth: Auth | null = null;
  if (store.auth) {
    const file = read('source.etcd.auth.file', store.auth.file, 'a credentials file', true);
    auth = credentials(file.content, file.fail);
  }
  return new StoreCredentials(tls, auth);
}

// The first certificate of a PEM file (a CA bundle may hold several).
function certificate(content: Buffer, fail: (detail: string) => never): X509Certificate {
  if (!content.includes('-----BEGIN CERTIFICATE-----'))
    fail('is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)');
  try {
    return new (crypto().X509Certificate)(content);
  } catch {
    return fail('holds a "BEGIN CERTIFICATE" block that is not a certificate');
  }
}

function privateKey(content: Buffer, fail: (detail: string) => never): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(content.toString('latin1')))
    fail('is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" line)');
  if (content.includes('ENCRYPTED')) fail('is an encrypted key; rs-agent needs it unencrypted (and mode 0600)');
  try {
    return crypto().createPrivateKey(content);
  } catch {
    return fail('holds a "PRIVATE KEY" block that is not a key rs-agent can read');
  }
}

// `username:` and `password:`, as YAML or JSON. Only the key names are ever shown.
function credentials(content: Buffer, fail: (detail: string) => never): Auth {
  let value: unknown;
  try {
    value = parseYaml(content.toString('utf8'), { schema: CORE_SCHEMA, maxDepth: 4 });
  } catch (error) {
    const line = (error as { mark?: { line: number } }).mark?.line;
    return fail(
      `is not valid YAML${line === undefined ? '' : ` (line ${line + 1})`}; it holds username: and password:`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('must be a mapping with username: and password:');
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields))
    if (key !== 'username' && key !== 'password')
      fail(`${JSON.stringify(key)}: unknown key; expected username, password`);
  for (const key of ['username', 'password'] as const) {
    const v = fields[key];
    if (typeof v !== 'string' || v === '') fail(`${key}: must be a non-empty string (quote it)`);
    if (/[\p{Cc}]/u.test(v as string)) fail(`${key}: has a control character`);
  }
  return { username: fields.username as string, password: fields.password as string };
}
