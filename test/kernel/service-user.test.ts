import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';
import { asUser, useUnprivilegedUser } from '../helpers/unprivileged-user.js';

// rs-agent as the packaged units run it: a system user of its own holding CAP_NET_ADMIN
// alone (AmbientCapabilities=CAP_NET_ADMIN), its state directory its own (RuntimeDirectory=
// with User=), beside root running start, stop and check from a shell. Root knows that user
// by its name, rs-agent, in /etc/passwd: here a copy naming the test's user so, bind-mounted
// over /etc/passwd in a mount namespace of the root CLI's own (the machine's is untouched).

const user = useUnprivilegedUser('svc');
let ns: TestNamespace;

beforeEach(async () => {
  ns = await TestNamespace.create();
  chmodSync(ns.dir, 0o755); // root's, so trusted; the user reads the config in it
  ns.writeConfig('vips: [192.0.2.10]\n');
  mkdirSync(ns.stateDir, { mode: 0o700 });
  chownSync(ns.stateDir, user().uid, user().gid);
});

afterEach(async () => {
  await ns.destroy();
});

// The CLI as the service user: its uid and gid, no other group, CAP_NET_ADMIN ambient.
function asService(args: string[]) {
  return ns.cliWith([...asUser(user()), '--inh-caps=+net_admin', '--ambient-caps=+net_admin'], args);
}

// The CLI as root, where /etc/passwd names `name` with the test user's uid and gid.
function asRoot(args: string[], name = 'rs-agent') {
  const passwd = join(ns.dir, 'passwd');
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}${name}:x:${user().uid}:${user().gid}::/:/bin/false\n`);
  const mount = 'mount --bind "$0" /etc/passwd && exec "$@"';
  return ns.cliWith(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', mount, passwd], args);
}

async function vips(): Promise<string[]> {
  return (await ns.addresses('lo')).map((a) => a.local).filter((a) => a.startsWith('192.0.2.'));
}

describe('the service user with CAP_NET_ADMIN alone', () => {
  it('start puts the VIP and the ARP sysctls in place; check finds it in sync; stop takes them away', async () => {
    const start = await asService(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(await vips()).toEqual(['192.0.2.10']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');
    expect(statSync(join(ns.stateDir, 'state.json')).uid).toBe(user().uid);
    expect((await asService(['check'])).exitCode).toBe(0);
    const stop = await asService(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await vips()).toEqual([]);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0');
  });
});

describe('root beside the service user, in its state directory', () => {
  it('root checks and stops what the service user started', async () => {
    expect((await asService(['start'])).exitCode).toBe(0);
    const check = await asRoot(['check']);
    expect(check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
    const stop = await asRoot(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await vips()).toEqual([]);
  });

  it('what root writes there (state file, lock) is given to the service user, which reads it and stops', async () => {
    const start = await asRoot(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    for (const file of ['state.json', 'lock']) {
      const stats = statSync(join(ns.stateDir, file));
      expect([file, stats.uid, stats.gid, stats.mode & 0o777]).toEqual([file, user().uid, user().gid, 0o600]);
    }
    const stop = await asService(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await vips()).toEqual([]);
  });

  it('a user of another name owning the state directory is refused, naming it (exit 2, nothing changed)', async () => {
    const start = await asRoot(['start'], 'someone-else');
    expect(start.stderr).toContain(
      `state directory ${ns.stateDir} is owned by uid ${user().uid} (${user().name}) and mode 0700: it must be owned by root and writable by no one else`,
    );
    expect(start.exitCode).toBe(2);
    expect(await vips()).toEqual([]);
  });
});
