import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceAccount } from '../../src/system/service-user.js';
import { SYSTEM_USERS, usePasswdFile } from '../helpers/passwd.js';

// The system user the packaged units run rs-agent as: found by name in /etc/passwd (here
// a copy). What root does with it is in service-user-owner.test.ts (kernel tier: root).

const { tmp, passwd } = usePasswdFile();
const SYSTEM = SYSTEM_USERS;

describe('serviceAccount', () => {
  it('finds the user rs-agent by name, with its uid and gid', () => {
    expect(serviceAccount(passwd(`${SYSTEM}rs-agent:x:105:113::/nonexistent:/usr/sbin/nologin\n`))).toEqual({
      uid: 105,
      gid: 113,
    });
  });

  it('is null where there is no such user, no passwd, or a line that makes it root', () => {
    expect(serviceAccount(passwd(SYSTEM))).toBeNull();
    expect(serviceAccount(join(tmp(), 'none'))).toBeNull();
    expect(serviceAccount(passwd(`rs-agent:x:0:0::/:/bin/sh\n`))).toBeNull();
    expect(serviceAccount(passwd(`rs-agent:x::113::/:/bin/sh\n`))).toBeNull();
  });
});
