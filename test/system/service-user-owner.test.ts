import { chmodSync, chownSync, closeSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretProblem } from '../../src/config/read-file.js';
import { shareWithDirectoryOwner } from '../../src/system/service-user.js';
import { defaultOwners } from '../../src/system/trusted-path.js';
import { SYSTEM_USERS, usePasswdFile } from '../helpers/passwd.js';

// Run as root (kernel tier): the system user the packaged units run rs-agent as is
// trusted by root as the owner of what it shares with it, given what root creates in its
// directories, and allowed to read a secret by group.

const { tmp, passwd } = usePasswdFile();
const SYSTEM = SYSTEM_USERS;

describe('defaultOwners, run as root', () => {
  it('root and the service user; root alone where there is none; no one else', () => {
    expect(defaultOwners(passwd(`${SYSTEM}rs-agent:x:105:113::/:/bin/false\n`))).toEqual([0, 105]);
    expect(defaultOwners(passwd(SYSTEM))).toEqual([0]);
  });
});

describe('shareWithDirectoryOwner, run as root', () => {
  it("gives a new file in another user's directory to that user and group; in root's it stays root's", () => {
    const dir = tmp();
    const file = join(dir, 'f');
    const fd = openSync(file, 'w', 0o600);
    try {
      shareWithDirectoryOwner(fd, dir);
      expect(statSync(file).uid).toBe(0);
      chownSync(dir, 4242, 4343);
      shareWithDirectoryOwner(fd, dir); // not the service user's: stays root's
      expect(statSync(file).uid).toBe(0);
      shareWithDirectoryOwner(fd, dir, passwd(`${SYSTEM}rs-agent:x:4242:4343::/:/bin/false\n`));
    } finally {
      closeSync(fd);
    }
    const stats = statSync(file);
    expect([stats.uid, stats.gid, stats.mode & 0o777]).toEqual([4242, 4343, 0o600]);
  });
});

describe('secretProblem', () => {
  it("lets the service user's group read a secret, no other group, never others", () => {
    const key = join(tmp(), 'key.pem');
    writeFileSync(key, 'k', { mode: 0o640 });
    chownSync(key, 0, 113);
    expect(secretProblem(statSync(key), 113)).toBeNull();
    expect(secretProblem(statSync(key), 114)).toBe('is readable by its group (mode 0640)');
    expect(secretProblem(statSync(key), undefined)).toBe('is readable by its group (mode 0640)');
    chownSync(key, 0, 113);
    writeFileSync(key, 'k');
    chmodSync(key, 0o644);
    expect(secretProblem(statSync(key), 113)).toBe('is readable by others (mode 0644)');
  });
});
