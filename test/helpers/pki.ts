import { execa } from 'execa';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

// A throwaway PKI made with openssl in `dir`: a CA (ca.pem), a certificate signed by it for
// each name given (NAME.pem, NAME-key.pem, mode 0600), with the IP addresses given as its
// subject alternative names, and a second CA that signed nothing (other-ca.pem).
export async function makePki(dir: string, certs: { name: string; cn: string; ips?: string[] }[]): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ssl = (args: string[]) => execa('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'other-ca'])
    await ssl(['req', '-x509', ...EC, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca}`]);
  for (const { name, cn, ips = [] } of certs) {
    await ssl(['req', ...EC, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, extensions(ips));
    await ssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      `${name}.pem`,
    ]);
    chmodSync(join(dir, `${name}-key.pem`), 0o600);
  }
}

function extensions(ips: string[]): string {
  const usage = 'extendedKeyUsage=serverAuth,clientAuth';
  return ips.length ? `${usage}\nsubjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}` : usage;
}
