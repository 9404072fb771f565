import { StoreSizeError } from './range-read.js';

// What went wrong with a call to the store, in the operator's terms. gRPC folds a refused
// certificate, a refused user and an answer too large into the same kind of error as a
// member that is down; they are not the same: a member that is down comes back by itself,
// the others wait for someone to fix a certificate, a role or a value.
export interface StoreFailure {
  // true: the store answered and refused (certificate, user, permission, size): an error
  // to fix, not an outage to wait out.
  refused: boolean;
  text: string;
}

const REFUSALS: [RegExp, (detail: string) => string][] = [
  [
    /unable to verify|self[- ]signed|certificate has expired|unable to get (local )?issuer|Hostname\/IP does not match|ERR_TLS_CERT/i,
    (d) => `TLS: the member's certificate is not accepted (${d}); is it signed by source.etcd.tls.ca?`,
  ],
  [
    /alert (bad|unknown|unsupported) certificate|alert certificate required|certificate required/i,
    (d) =>
      `TLS: the member refused this host's client certificate (${d}); set source.etcd.tls.cert and tls.key to a certificate its CA signed`,
  ],
  [/permission denied/i, (d) => `permission denied (${d}): etcd's user for this host may not read or write here`],
  [/authentication failed|invalid auth token|user name is empty/i, (d) => `authentication refused (${d})`],
  [
    /larger than max|RESOURCE_EXHAUSTED|request is too large/i,
    (d) => `an answer or a request over the size gRPC or etcd allow (${d})`,
  ],
];

// The failure behind an error from the etcd client, with gRPC's noise taken out.
export function describeStoreError(error: unknown): StoreFailure {
  const raw = error instanceof Error ? error.message : String(error);
  if (error instanceof StoreSizeError) return { refused: true, text: raw };
  if ((error as { isBrokenCircuitError?: boolean })?.isBrokenCircuitError)
    return { refused: false, text: 'no endpoint answers (each failed its last call; tried again within a second)' };
  const detail = cleanGrpcMessage(raw);
  for (const [pattern, say] of REFUSALS) if (pattern.test(raw)) return { refused: true, text: say(detail) };
  return { refused: false, text: detail || 'no answer' };
}

// "14 UNAVAILABLE: No connection established. Last error: Error: X (2026-…). Resolution note: "
// becomes "X"; an OpenSSL error line becomes its reason.
export function cleanGrpcMessage(message: string): string {
  let text = message.replace(/\s*Resolution note:.*$/s, '').trim();
  const last = /Last error: (?:Error: )?(.*)$/s.exec(text);
  if (last) text = last[1]!;
  text = text.replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)\.?$/, '');
  const ssl = /error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):/.exec(text);
  if (ssl) text = ssl[1]!;
  return text
    .replace(/\\n|\s+/g, ' ')
    .replace(/\.$/, '')
    .trim();
}
