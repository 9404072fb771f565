import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface UnprivilegedUser {
  name: string;
  uid: number;
  gid: number;
  dir: string; // a root-owned 0755 directory for the test's files, removed after
}

// A real unprivileged system user for the calling test file, as on a host where root
// runs rs-agent beside people who are not root: useradd before the tests, userdel after.
export function useUnprivilegedUser(tag: string): () => UnprivilegedUser {
  let user: UnprivilegedUser | null = null;
  beforeAll(async () => {
    const name = `rsa-${tag}${process.pid}`.slice(0, 31);
    await execa('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    const id = async (flag: string) => Number((await execa('id', [flag, name])).stdout);
    const dir = mkdtempSync(join(tmpdir(), `rsa-${tag}-`));
    chmodSync(dir, 0o755);
    user = { name, uid: await id('-u'), gid: await id('-g'), dir };
  });
  afterAll(async () => {
    if (!user) return;
    await execa('userdel', [user.name], { reject: false });
    rmSync(user.dir, { recursive: true, force: true });
  });
  return () => user as UnprivilegedUser;
}

// A fresh root-owned 0755 directory `name` under dir, in a directory of its own.
export function rootDir(dir: string, name: string): string {
  const path = join(mkdtempSync(join(dir, 'p-')), name);
  chmodSync(join(path, '..'), 0o755);
  mkdirSync(path, { recursive: true, mode: 0o755 });
  return path;
}

// The argv prefix that runs a command as the user (setpriv: no supplementary groups).
export function asUser(user: UnprivilegedUser): string[] {
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
}
