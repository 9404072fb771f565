import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';
import { makePki } from '../helpers/pki.js';

// What the agent says when the store refuses it, against a real etcd serving TLS with
// client-certificate authentication (the certificate's CN is the etcd user): a CA that did
// not sign the member, no client certificate, a user without permission, and no store at
// all. Each is an error naming the endpoint and the prefix, not a "store unreachable"
// warning; without a cache the desired state is unknown and nothing calls the host in sync.

const PREFIX = '/rs-agent/';
const ENDPOINT = 'https://10.77.0.1:2379';
let net: FleetNetwork;
let agent: TestNamespace;
let dir: string;
let pki: string;

function writeConfig(tls: string): void {
  rmSync(join(agent.dir, 'cache.json'), { force: true });
  agent.writeConfig(
    [
      'source:',
      '  etcd:',
      `    endpoints: [${net.endpoints.join(', ')}]`,
      `    tls: {${tls}}`,
      `    cache: ${join(agent.dir, 'cache.json')}`,
      '    heartbeat: 1',
      'host: rs1',
      'labels: {pool: web}',
      'interfaces: [eth0]',
      '',
    ].join('\n'),
  );
}

const cert = (user: string) => `ca: ${pki}/ca.pem, cert: ${pki}/${user}.pem, key: ${pki}/${user}-key.pem`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rsa-etcd-reporting-'));
  pki = join(dir, 'pki');
  await makePki(pki, [
    { name: 'server', cn: 'etcd', ips: ['10.77.0.1'] },
    { name: 'root', cn: 'root' },
    { name: 'rs1', cn: 'rs1' },
    { name: 'nobody', cn: 'nobody' },
  ]);
  net = await FleetNetwork.create(1, pki);
  await net.startAll();
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  // rs1 may read the desired state only; nobody may read nothing.
  await net.etcdctl(['user', 'add', 'root', '--no-password']);
  await net.etcdctl(['role', 'add', 'reader']);
  await net.etcdctl(['role', 'grant-permission', 'reader', 'read', PREFIX, '--prefix=true']);
  for (const user of ['rs1', 'nobody']) await net.etcdctl(['user', 'add', user, '--no-password']);
  await net.etcdctl(['user', 'grant-role', 'rs1', 'reader']);
  await net.etcdctl(['auth', 'enable']);
  agent = await net.addAgent();
}, 60_000);

afterAll(async () => {
  await net?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('the store refusing this host', () => {
  it('a client certificate is the etcd user: start reads the VIPs with it, and prints no Node warning', async () => {
    writeConfig(cert('rs1'));
    const start = await agent.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain('+ address 192.0.2.10/32 dev lo');
  });

  it('a CA that did not sign the member: check names the endpoint and the certificate, desired state unknown', async () => {
    writeConfig(`ca: ${pki}/other-ca.pem, cert: ${pki}/rs1.pem, key: ${pki}/rs1-key.pem`);
    const check = await agent.cli(['check']);
    expect(check.exitCode).not.toBe(0);
    expect(check.stdout).not.toMatch(/^in sync/m);
    expect(check.stdout).toContain(
      `drift: desired state unknown: store ${ENDPOINT}: cannot read ${PREFIX}: TLS: the member's certificate is not accepted (unable to verify the first certificate)`,
    );
    expect(check.stderr).toBe('');
  });

  it('no client certificate: start says the member refused it, desired state unknown, exit 2', async () => {
    writeConfig(`ca: ${pki}/ca.pem`);
    const start = await agent.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stdout).not.toContain('in sync');
    expect(start.stderr).toMatch(
      new RegExp(
        `^rs-agent: desired state unknown: store ${ENDPOINT}: cannot read ${PREFIX}: TLS: the member refused this host's client certificate \\(.*bad certificate.*\\).*and no cache at .*; keeping the 1 store VIPs rs-agent holds$`,
      ),
    );
  });

  it('a user without permission: permission denied, not unreachable', async () => {
    writeConfig(cert('nobody'));
    const check = await agent.cli(['check']);
    expect(check.exitCode).not.toBe(0);
    expect(check.stdout).toContain(`store ${ENDPOINT}: cannot read ${PREFIX}: permission denied`);
    expect(check.stdout).not.toContain('unreachable');
  });

  it('run: a refused store is an error, ready is not "in sync", a status write refused says so; all of it JSON', async () => {
    writeConfig(`ca: ${pki}/other-ca.pem, cert: ${pki}/rs1.pem, key: ${pki}/rs1-key.pem`);
    let daemon = new Daemon(agent);
    try {
      const refused = await daemon.waitFor((l) => l.event === 'store-refused', 15_000);
      expect(refused.level).toBe('error');
      expect(refused.message).toContain(`store ${ENDPOINT}: cannot read ${PREFIX}: TLS: the member's certificate`);
      const ready = await daemon.waitFor((l) => l.event === 'ready', 15_000);
      expect(ready.message).toMatch(/^ready: desired state unknown; /);
      expect(ready.in_sync).toBe(false);
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exit();
    }
    expect(daemon.stderr).toBe('');
    expect(daemon.lines.some((l) => l.event === 'store-down')).toBe(false);

    // rs1 may read but not write its status: the write's error says what it is.
    writeConfig(cert('rs1'));
    daemon = new Daemon(agent);
    try {
      const write = await daemon.waitFor((l) => l.event === 'status-write', 15_000);
      expect(write.message).toMatch(/^status \/rs-agent\/status\/rs1 not written .*: permission denied/);
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exit();
    }
    expect(daemon.stderr).toBe('');
  }, 60_000);

  it('no store at all and no cache: start and check say desired state unknown and exit non-zero', async () => {
    writeConfig(cert('rs1'));
    await net.members[0]!.stop();
    const start = await agent.cli(['start']);
    expect(start.exitCode).toBe(2);
    expect(start.stdout).not.toContain('in sync');
    expect(start.stderr).toMatch(new RegExp(`^rs-agent: desired state unknown: store ${ENDPOINT} unreachable \\(`));
    const check = await agent.cli(['check']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/^drift: desired state unknown: /m);
    expect(check.stdout).not.toMatch(/^in sync/m);
  });
});
