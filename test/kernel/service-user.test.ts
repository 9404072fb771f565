import { execa } from 'execa';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, type LogLine } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';
import { asUser, useUnprivilegedUser } from '../helpers/unprivileged-user.js';

// rs-agent as the packaged units run it: a system user of its own holding CAP_NET_ADMIN
// alone (AmbientCapabilities=CAP_NET_ADMIN), its state directory its own (RuntimeDirectory=
// with User=), beside root running start, stop and check from a shell. rs-agent knows that
// user by its name, rs-agent, in /etc/passwd: here a copy naming the test's user so,
// bind-mounted over /etc/passwd in a mount namespace of the CLI's own (the machine's is
// untouched).

const user = useUnprivilegedUser('svc');
let ns: TestNamespace;

beforeEach(async () => {
  ns = await TestNamespace.create();
  chmodSync(ns.dir, 0o755); // root's, so trusted; the user reads the config in it
  ns.useCliCopy(); // the checkout may be where only root can search
  ns.writeConfig('vips: [192.0.2.10]\n');
  mkdirSync(ns.stateDir, { mode: 0o700 });
  chownSync(ns.stateDir, user().uid, user().gid);
});

afterEach(async () => {
  await ns.destroy();
});

// The prefix that runs a command where /etc/passwd names `name` with the test user's uid
// and gid: a copy bind-mounted in a mount namespace of the command's own.
function withPasswd(name: string): string[] {
  const passwd = join(ns.dir, `passwd-${name}`);
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}${name}:x:${user().uid}:${user().gid}::/:/bin/false\n`);
  chmodSync(passwd, 0o644);
  const mount = 'mount --bind "$0" /etc/passwd && exec "$@"';
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', mount, passwd];
}

// What runs a command as the service user rs-agent: its uid and gid, no other group,
// CAP_NET_ADMIN ambient, in / as under its unit (the test's own working directory, the
// checkout, may be one only root can search: then the CLI could start no command).
function asServiceUser(): string[] {
  const caps = ['--inh-caps=+net_admin', '--ambient-caps=+net_admin'];
  return [...withPasswd('rs-agent'), ...asUser(user()), ...caps, 'env', '--chdir=/'];
}

function asService(args: string[]) {
  return ns.cliWith(asServiceUser(), args);
}

// The CLI as root, where /etc/passwd names `name` with the test user's uid and gid.
function asRoot(args: string[], name = 'rs-agent') {
  return ns.cliWith(withPasswd(name), args);
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

// rs-agent run as rs-agent-watch.service runs it. Its ip and nft monitors start through
// util-linux setpriv (--pdeathsig), which calls capset(2) whatever it is asked; the unit's
// seccomp filter once refused that (SystemCallFilter=~@privileged): every monitor exited 127,
// logged as "ip: command not found" every second or two, and no kernel event came.
describe('rs-agent run as the service user', () => {
  const DENY_SYSCALL = resolve(import.meta.dirname, '../helpers/deny-syscall.py');
  const VIP = 'address 192.0.2.10/32 dev lo';

  // schedule: the daemon's scheduled reconcile; every 2 s by default (the fallback when no
  // event comes), once a year where only an event may repair.
  // ready: what the daemon said it watches when it was ready. The VIP is deleted once it is
  // ready and, where the monitors cannot run, once they have been said failing.
  async function runUntilRepaired(
    prefix: string[],
    schedule = '*/2 * * * * *',
  ): Promise<{ d: Daemon; ready: LogLine }> {
    ns.writeConfig(`vips: [192.0.2.10]\ndrift:\n  schedule: "${schedule}"\n`);
    const d = new Daemon(ns, {}, prefix);
    let ready: LogLine;
    try {
      ready = await d.waitFor((l) => l.event === 'ready');
      if (ready.not_watching) await d.waitFor((l) => l.event === 'monitor-failing');
      await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
      await d.waitFor((l) => l.event === 'repair' && l.item === VIP);
    } finally {
      await d.kill(ns);
    }
    return { d, ready };
  }

  it('its ip monitor runs (CAP_NET_ADMIN alone): a deleted VIP is repaired on the kernel event', async () => {
    // No schedule to race the event: a scheduled pass every 2 s repaired it first once in
    // five clean-clone runs.
    const { d, ready } = await runUntilRepaired(asServiceUser(), '0 0 1 1 *');
    expect(ready.not_watching, 'both monitors joined before ready').toBeUndefined();
    expect(d.lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(d.repairsOf(VIP)).toMatchObject([{ trigger: 'event' }]);
  });

  it('with capset refused to setpriv, it says why once and the schedule still repairs', async () => {
    const filter = join(ns.dir, 'deny-syscall.py'); // where the service user can read it
    copyFileSync(DENY_SYSCALL, filter);
    chmodSync(filter, 0o644);
    const { d, ready } = await runUntilRepaired([...asServiceUser(), '/usr/bin/python3', filter, 'capset']);
    expect(ready.not_watching, 'ready names the monitors that could not join').toBe('ip monitor, nft monitor');
    const ip = d.lines.filter((l) => /^monitor-/.test(l.event) && l.message.startsWith('ip monitor '));
    expect(ip.map((l) => [l.level, l.event])).toEqual([
      ['error', 'monitor-ended'],
      ['error', 'monitor-failing'],
    ]);
    expect(ip[0]?.message).toBe(
      'ip monitor address route link ended: setpriv: activate capabilities: Operation not permitted ' +
        '(exit status 127); restarting it in 1 s',
    );
    expect(d.lines.filter((l) => /command not found/.test(l.message))).toEqual([]);
    expect(d.repairsOf(VIP)).toHaveLength(1);
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

// The store's TLS files as the packaged units read them: the daemon runs as the service
// user, so they are its own (the key mode 0600) or root's with the key readable by its
// group (0640 root:rs-agent). Root, checking them as it checks the config, accepts both
// and still refuses a key others can read or files of any other user.
describe("the store's TLS files, readable by the service user", () => {
  async function tlsConfig(owner: 'user' | 'root-group', keyMode = 0o600): Promise<void> {
    const pki = join(ns.dir, 'pki');
    mkdirSync(pki, { mode: 0o755 });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];
    await execa('openssl', ['req', '-x509', ...ec, '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=rs1'], {
      cwd: pki,
    });
    chmodSync(join(pki, 'cert.pem'), 0o644);
    chmodSync(join(pki, 'key.pem'), keyMode);
    for (const file of ['cert.pem', 'key.pem'])
      if (owner === 'user') chownSync(join(pki, file), user().uid, user().gid);
      else chownSync(join(pki, file), 0, user().gid);
    const tls = `{ca: ${pki}/cert.pem, cert: ${pki}/cert.pem, key: ${pki}/key.pem}`;
    ns.writeConfig(
      `vips: [192.0.2.10]\nsource:\n  etcd:\n    endpoints: [https://192.0.2.1:2379]\n    tls: ${tls}\nhost: rs1\n`,
    );
  }

  it("files of the service user's own (key 0600): root and the service user both accept them", async () => {
    await tlsConfig('user');
    for (const r of [await asRoot(['validate']), await asService(['validate'])]) {
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
  });

  it("root's files with the key 0640 root:rs-agent: root and the service user both accept them", async () => {
    await tlsConfig('root-group', 0o640);
    for (const r of [await asRoot(['validate']), await asService(['validate'])]) {
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
  });

  it('root refuses them when that user is not the service user, and a key others can read (exit 2)', async () => {
    await tlsConfig('user');
    const other = await asRoot(['validate'], 'someone-else');
    expect(other.stderr).toBe(
      `rs-agent: config ${ns.configPath}: source.etcd.tls.ca: ${ns.dir}/pki/cert.pem: is owned by uid ${user().uid}, ` +
        'not root: whoever can change it decides what rs-agent does as root; fix that, or pass --allow-insecure-config',
    );
    expect(other.exitCode).toBe(2);
    chmodSync(join(ns.dir, 'pki', 'key.pem'), 0o604);
    const readable = await asRoot(['validate']);
    expect(readable.stderr).toBe(
      `rs-agent: config ${ns.configPath}: source.etcd.tls.key: ${ns.dir}/pki/key.pem: is readable by others (mode 0604): ` +
        'it holds a secret; chmod 0600 it, or pass --allow-insecure-config',
    );
    expect(readable.exitCode).toBe(2);
  });
});
