import { execa } from 'execa';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { asUser, useUnprivilegedUser } from '../helpers/unprivileged-user.js';

// The store's CA, client certificate and key, and credentials file: checked like the
// config file (root's, writable by no one else), the key and credentials also readable
// by no one else, and each checked to be what it should be. Real PEM files from openssl.

const PASSWORD = 'hunter2-s3cret';
let dir: string;
// A real unprivileged user, for files and directories that are not root's.
const user = useUnprivilegedUser('sf');

function pem(name: string): string {
  return join(dir, 'pki', name);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsa-store-files-'));
  mkdirSync(join(dir, 'pki'), { mode: 0o700 });
  const ssl = (args: string[]) => execa('openssl', args, { cwd: join(dir, 'pki') });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await ssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca']);
  await ssl(['req', ...ec, '-keyout', 'client-key.pem', '-out', 'client.csr', '-subj', '/CN=rs1']);
  await ssl([
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
  ]);
  await ssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other-key.pem']);
  await ssl(['pkey', '-in', 'client-key.pem', '-aes256', '-passout', 'pass:x', '-out', 'encrypted-key.pem']);
  copyFileSync(pem('client.pem'), pem('client-cert-0600.pem'));
  for (const key of ['client-key.pem', 'other-key.pem', 'encrypted-key.pem', 'client-cert-0600.pem'])
    chmodSync(pem(key), 0o600);
  writeFileSync(pem('auth.yaml'), `username: root\npassword: "${PASSWORD}"\n`, { mode: 0o600 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// A config in its own root-owned directory naming these store files.
function config(etcd: string): string {
  const path = join(mkdtempSync(join(dir, 'conf-')), 'rs-agent.yaml');
  writeFileSync(path, `source:\n  etcd:\n    endpoints: [https://192.0.2.1:2379]\n${etcd}host: rs1\n`);
  return path;
}

function tls(ca = pem('ca.pem'), cert = pem('client.pem'), key = pem('client-key.pem')): string {
  return `    tls: {ca: ${ca}, cert: ${cert}, key: ${key}}\n`;
}

function errorOf(path: string, allowInsecure = false): string {
  try {
    loadConfig(path, { allowInsecure });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).not.toContain(PASSWORD);
    return (error as Error).message;
  }
  throw new Error('no error');
}

// A copy of a PEM file in a directory of its own, with this mode.
function copy(name: string, mode: number): string {
  const target = join(mkdtempSync(join(dir, 'copy-')), name);
  copyFileSync(pem(name), target);
  chmodSync(target, mode);
  return target;
}

describe('the store files a config names', () => {
  it('reads root-owned PEM files and a credentials file; the config shows none of them', () => {
    const loaded = loadConfig(config(`${tls()}    auth: {file: ${pem('auth.yaml')}}\n`));
    const options = loaded.store!.credentials!.clientOptions();
    expect(options.auth).toEqual({ username: 'root', password: PASSWORD });
    expect(options.credentials!.privateKey!.toString()).toContain('PRIVATE KEY');
    expect(JSON.stringify(loaded)).not.toContain(PASSWORD);
    expect(JSON.stringify(loaded)).not.toContain('PRIVATE KEY');
    expect(inspect(loaded, { depth: 10 })).not.toContain(PASSWORD);
    expect(inspect(loaded, { depth: 10 })).not.toContain('PRIVATE KEY');
  });

  it('refuses a CA others could replace: group-writable, or owned by an unprivileged user', () => {
    const ca = copy('ca.pem', 0o664);
    expect(errorOf(config(tls(ca)))).toMatch(
      /: source\.etcd\.tls\.ca: .*ca\.pem: is writable by its group \(mode 0664\): whoever can change it decides what rs-agent does as root/,
    );
    chmodSync(ca, 0o644);
    chownSync(ca, user().uid, 0);
    expect(errorOf(config(tls(ca)))).toMatch(new RegExp(`ca\\.pem: is owned by uid ${user().uid}, not root`));
    expect(loadConfig(config(tls(ca)), { allowInsecure: true }).store!.tls!.ca).toBe(ca);
  });

  it('refuses a CA the unprivileged user wrote into a directory it owns', async () => {
    const own = join(mkdtempSync(join(dir, 'user-')), 'etcd');
    mkdirSync(own, { mode: 0o755 });
    chownSync(own, user().uid, 0);
    chmodSync(join(own, '..'), 0o755);
    chmodSync(dir, 0o755);
    const [setpriv, ...as] = asUser(user());
    await execa(setpriv!, [...as, 'sh', '-c', `cat > ${join(own, 'ca.pem')}`], { inputFile: pem('ca.pem') });
    chmodSync(dir, 0o700);
    expect(errorOf(config(tls(join(own, 'ca.pem'))))).toMatch(/: is owned by uid \d+, not root/);
  });

  it.each([
    [
      0o644,
      'is readable by its group and others (mode 0644): it holds a secret; chmod 0600 it, or pass --allow-insecure-config',
    ],
    [0o640, 'is readable by its group (mode 0640): it holds a secret'],
  ])('refuses a key of mode %o', (mode, problem) => {
    const key = copy('client-key.pem', mode);
    expect(errorOf(config(tls(undefined, undefined, key)))).toContain(`: source.etcd.tls.key: ${key}: ${problem}`);
  });

  it('refuses a credentials file others can read, without showing the password', () => {
    const auth = copy('auth.yaml', 0o604);
    expect(errorOf(config(`    auth: {file: ${auth}}\n`))).toContain(
      `: source.etcd.auth.file: ${auth}: is readable by others (mode 0604)`,
    );
  });

  it.each([
    ['a file that is not PEM', 'ca', 'auth.yaml', 'is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)'],
    ['a certificate for a key', 'key', 'client-cert-0600.pem', 'is not a PEM private key'],
    ['the key of another certificate', 'key', 'other-key.pem', `is not the key of the certificate in `],
    ['an encrypted key', 'key', 'encrypted-key.pem', 'is an encrypted key; rs-agent needs it unencrypted'],
  ])('refuses %s, naming the key and the file', (_, which, name, problem) => {
    const file = pem(name);
    const paths = which === 'ca' ? tls(file) : tls(undefined, undefined, file);
    expect(errorOf(config(paths))).toContain(`: source.etcd.tls.${which}: ${file}: ${problem}`);
  });

  it.each([
    [`username: root\npassword: ${PASSWORD}\n  bad: [indent\n`, 'is not valid YAML (line 3)'],
    [`username: root\n`, 'password: must be a non-empty string (quote it)'],
    [`username: root\npassword: 123456\n`, 'password: must be a non-empty string (quote it)'],
    [`user: root\npassword: "${PASSWORD}"\n`, '"user": unknown key; expected username, password'],
    [`- ${PASSWORD}\n`, 'must be a mapping with username: and password:'],
  ])('refuses credentials %j without showing them', (text, problem) => {
    const auth = join(mkdtempSync(join(dir, 'auth-')), 'auth.yaml');
    writeFileSync(auth, text, { mode: 0o600 });
    expect(errorOf(config(`    auth: {file: ${auth}}\n`))).toContain(`: source.etcd.auth.file: ${auth}: ${problem}`);
  });

  it('rs-agent validate: a file that is not PEM is one line and exit 2, no stack trace', async () => {
    const path = config(tls(pem('auth.yaml')));
    const r = await runCli(['validate', '--config', path]);
    expect(r).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `rs-agent: config ${path}: source.etcd.tls.ca: ${pem('auth.yaml')}: is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`,
    });
    const missing = await runCli(['validate', '--config', config(tls(pem('nope.pem')))]);
    expect(missing.stderr).toMatch(/source\.etcd\.tls\.ca: .*nope\.pem: no such file$/);
  });
});
