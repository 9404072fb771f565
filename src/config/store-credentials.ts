import { crypto } from '../system/crypto.js';

export interface Tls {
  rootCertificate: Buffer;
  certChain?: Buffer;
  privateKey?: Buffer;
}
export interface Auth {
  username: string;
  password: string;
}

// What the etcd client needs from the files source.etcd names. Private fields:
// JSON.stringify and util.inspect show none of it, so a key or a password cannot reach
// a log line, a status record or an error by way of the config.
export class StoreCredentials {
  readonly #tls: Tls | null;
  readonly #auth: Auth | null;

  constructor(tls: Tls | null, auth: Auth | null) {
    this.#tls = tls;
    this.#auth = auth;
  }

  // The etcd3 client's `credentials` and `auth` options.
  clientOptions(): { credentials?: Tls; auth?: Auth } {
    return { ...(this.#tls ? { credentials: this.#tls } : {}), ...(this.#auth ? { auth: this.#auth } : {}) };
  }

  // A digest of the material, to tell whether a reload changed it without keeping or
  // showing any of it.
  fingerprint(): string {
    const hash = crypto().createHash('sha256');
    const tls = this.#tls;
    for (const part of [tls?.rootCertificate, tls?.certChain, tls?.privateKey]) hash.update(part ?? '').update('\0');
    hash.update(JSON.stringify(this.#auth));
    return hash.digest('hex');
  }

  toJSON(): string {
    return '(not shown)';
  }
}

// Reads the store's CA, client certificate and key, and credentials file, each checked
// as the config file is (root's, writable by no one else: whoever can replace the CA
// chooses which "etcd" decides every host's VIPs), the key and the credentials also
// readable by no one else; and each checked to be what it should (a PEM certificate,
// a PEM key that belongs to the certificate, a username and a password). An error names
// the key and the file, never the content. allowInsecure (--allow-insecure-config)
// skips the owner and mode checks, as for the config.
