// node:crypto, loaded the first time it is needed: importing it loads node's streams and
// ciphers too, which a converged `check` (it needs no hash, key or random name) should not
// pay for.
export function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
