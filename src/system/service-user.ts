import { fchownSync, fstatSync, readFileSync, statSync } from 'node:fs';

// The system user the packaged units run rs-agent as (created by the Debian package's
// postinst), with CAP_NET_ADMIN alone. Root trusts what it owns (the state directory,
// the store cache's directory) as its own, and gives it what root creates there.
export const SERVICE_USER = 'rs-agent';

export interface Account {
  uid: number;
  gid: number;
}

// The service user's uid and gid from /etc/passwd, or null where there is no such user
// (rs-agent installed from npm, run by root alone).
export function serviceAccount(passwd = '/etc/passwd', name = SERVICE_USER): Account | null {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return null;
  }
  const fields = text
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === name);
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!fields?.[2] || !fields[3] || !Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) return null;
  return { uid, gid };
}

// Run as root, a file root creates in a directory another user owns (the service user's
// state directory, past the owner check) is given to that user and its group: the
// daemon running as it must read, lock and replace what `start`, `stop` or `check` run
// by root wrote there. A no-op for root's own directories and when not run as root.
export function shareWithDirectoryOwner(fd: number, dir: string, passwd?: string): void {
  if ((process.geteuid?.() ?? 0) !== 0) return;
  const owner = statSync(dir);
  // Only to the service user: a directory that changed hands since it was checked is not
  // given what root writes.
  if (owner.uid === 0 || owner.uid !== serviceAccount(passwd)?.uid) return;
  const file = fstatSync(fd);
  if (file.uid !== owner.uid || file.gid !== owner.gid) fchownSync(fd, owner.uid, owner.gid);
}
