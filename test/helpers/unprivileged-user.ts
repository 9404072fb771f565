import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';

export interface UnprivilegedUser {
  name: string;
  uid: number;
  gid: number;
  dir: string; // a root-owned 0755 directory for the test's files, removed after
}

// A real unprivileged system user without a home: useradd, retried while another test
// file holds the lock on /etc/passwd ("cannot lock").
export async function addUser(name: string): Promise<{ name: string; uid: number; gid: number }> {
  await retried(`useradd ${name}`, [0], ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const id = async (flag: string) => Number((await execa('id', [flag, name])).stdout);
  return { name, uid: await id('-u'), gid: await id('-g') };
}

// userdel, retried likewise; a user already gone (status 6) is no error.
export async function deleteUser(name: string): Promise<void> {
  await retried(`userdel ${name}`, [0, 6], [name]);
}

async function retried(what: string, done: number[], args: string[]): Promise<void> {
  const command = what.split(' ')[0] as string;
  for (let attempt = 1; ; attempt++) {
    const r = await execa(command, args, { reject: false });
    if (done.includes(r.exitCode ?? -1)) return;
    if (attempt === 20) throw new Error(`${what}: ${r.stderr}`);
    await sleep(100);
  }
}

// A real unprivileged system user for the calling test file, as on a host where root
// runs rs-agent beside people who are not root: useradd before the tests, userdel after.
export function useUnprivilegedUser(tag: string): () => UnprivilegedUser {
  let user: UnprivilegedUser | null = null;
  beforeAll(async () => {
    const added = await addUser(`rsa-${tag}${process.pid}`.slice(0, 31));
    const dir = mkdtempSync(join(tmpdir(), `rsa-${tag}-`));
    chmodSync(dir, 0o755);
    user = { ...added, dir };
  });
  afterAll(async () => {
    if (!user) return;
    // A user that cannot be deleted (one of its processes outlived the file) fails no test
    // here: the test that left the process running is the one at fault.
    await deleteUser(user.name).catch(() => {});
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
export function asUser(user: Pick<UnprivilegedUser, 'uid' | 'gid'>): string[] {
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
}
