import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// etcd's user/password authentication end to end: a real etcd member with auth
// enabled, an agent whose credentials come from a root-only file (source.etcd.auth),
// reading its VIPs, writing its status, and `fleet status` reading the fleet. The
// password is never printed.

const PREFIX = '/rs-agent/';
const PASSWORD = 'Pw-7f3e9c-never-shown';
let net: FleetNetwork;
let agent: TestNamespace;

function writeAuth(password: string): string {
  const file = join(agent.dir, 'etcd-auth.yaml');
  writeFileSync(file, `username: root\npassword: "${password}"\n`, { mode: 0o600 });
  return file;
}

const fleet = () => net.fleetStatus(agent);

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  await net.etcdctl(['user', 'add', 'root', `--new-user-password=${PASSWORD}`]);
  await net.etcdctl(['auth', 'enable']);
  net.user = `root:${PASSWORD}`;
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  agent = await net.addAgent();
  agent.writeConfig(net.agentConfig(agent, 'web-1', { pool: 'web' }, [`auth: {file: ${writeAuth(PASSWORD)}}`]));
}, 60_000);

afterAll(async () => {
  await net?.destroy();
}, 30_000);

describe('etcd with user/password authentication', () => {
  it('without credentials the store refuses the agent', async () => {
    const r = await net.etcdctl(['get', '--prefix', PREFIX], undefined, false);
    expect(r.exitCode).toBe(0); // etcdctl, with the password, reads it
    const anonymous = await execa(
      'ip',
      ['netns', 'exec', net.storeNs, 'etcdctl', `--endpoints=${net.endpoints[0]}`, 'get', '--prefix', PREFIX],
      { reject: false, env: { ETCDCTL_API: '3' } },
    );
    expect(anonymous.stderr).toContain('user name is empty');
  });

  it('start reads the VIPs with the credentials from the file', async () => {
    const start = await agent.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain('+ address 192.0.2.10/32 dev lo');
    expect(`${start.stdout}${start.stderr}`).not.toContain(PASSWORD);
  });

  it('run watches with them and writes its status; fleet status reads it with them', async () => {
    const daemon = new Daemon(agent);
    try {
      await daemon.waitFor((l) => l.event === 'ready', 15_000);
      await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10, 192.0.2.11]\n');
      await daemon.waitFor((l) => l.event === 'store-change' && l.vips === 2);
      expect(
        await eventually(async () => {
          const hosts = JSON.parse((await fleet()).stdout).hosts as { host: string; state: string; vips: number }[];
          return hosts.length === 1 && hosts[0]!.state === 'in-sync' && hosts[0]!.vips === 2;
        }, 10_000),
      ).toBe(true);
      expect(JSON.stringify(daemon.lines)).not.toContain(PASSWORD);
      expect(daemon.stderr).toBe('');
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exit();
    }
  });

  it('a wrong password is refused by the store, and neither password is printed', async () => {
    const wrong = 'Wrong-4b1d-not-shown-either';
    writeAuth(wrong);
    const status = await fleet();
    expect(status.exitCode).toBe(2);
    expect(status.stderr).toMatch(
      /^rs-agent: store http:\/\/10\.77\.0\.1:2379: cannot read \/rs-agent\/: .*authentication failed/,
    );
    const check = await agent.cli(['check']);
    expect(check.stderr).toMatch(/authentication failed.*; using the cache of revision \d+/);
    for (const out of [status.stdout, status.stderr, check.stdout, check.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(wrong);
    }
    writeAuth(PASSWORD);
  });
});
