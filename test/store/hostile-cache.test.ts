import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import { HostileUser, ROOT_ONLY, rootOnlyFile } from '../helpers/hostile-user.js';
import type { TestNamespace } from '../helpers/netns.js';

// source.etcd.cache, which rs-agent (root) rewrites after every store read, aimed where
// it must not write: a directory an unprivileged user owns (a symlink planted at the old
// temp name), or a root-only file that is no cache. A real etcd serves this host's VIPs,
// so that without the refusal the cache would be written.

let net: FleetNetwork;
let ns: TestNamespace;
let user: HostileUser;
let secret: string;

function config(cache: string): string {
  return `source:\n  etcd:\n    endpoints: [${net.endpoints.join(', ')}]\n    insecure: true\n    cache: ${cache}\nhost: rs1\ninterfaces: [eth0]\n`;
}

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  await net.put('/rs-agent/hosts/rs1', 'vips: [192.0.2.10]\n');
}, 60_000);
afterAll(async () => {
  await net?.destroy();
}, 30_000);
beforeEach(async () => {
  ns = await net.addAgent();
  user = await HostileUser.create();
  secret = rootOnlyFile(ns.dir);
});
afterEach(async () => {
  await user.remove();
});

const vipsOnLo = async () => (await ns.addresses('lo')).map((a) => a.local);

describe('source.etcd.cache', () => {
  it("in another user's directory: start refuses it (exit 2) and writes nothing through a planted symlink", async () => {
    const dir = await user.makeDir(0o755);
    const cache = join(dir, 'cache.json');
    ns.writeConfig(config(cache));
    const plant = user.symlinksBeforeCli(secret, [`${cache}.$$.tmp`]);
    const r = await execa('ip', ns.cliArgv(['start'], plant), { reject: false });
    expect(readFileSync(secret, 'utf8')).toBe(ROOT_ONLY);
    expect(r.stderr).toBe(
      `rs-agent: config ${ns.configPath}: source.etcd.cache: "${cache}": ${dir} is owned by uid ${user.uid} (${user.name}) ` +
        'and mode 0755: it must be owned by root and writable by no one else',
    );
    expect(r.exitCode).toBe(2);
    expect(await vipsOnLo()).toEqual(['127.0.0.1']);
  });

  it('naming a root-only file that is no cache (as /etc/shadow would be): refused, the file untouched', async () => {
    ns.writeConfig(config(secret));
    const r = await ns.cli(['start']);
    expect(readFileSync(secret, 'utf8')).toBe(ROOT_ONLY);
    expect(r.stderr).toBe(
      `rs-agent: config ${ns.configPath}: source.etcd.cache: "${secret}" exists and is not a cache rs-agent wrote; ` +
        'rs-agent replaces only its own file there: name another path, or move the file away',
    );
    expect(r.exitCode).toBe(2);
    expect(await vipsOnLo()).toEqual(['127.0.0.1']);
  });

  it("in root's directory: start reads the store and writes the cache, which a second start accepts", async () => {
    const cache = join(ns.dir, 'cache.json');
    ns.writeConfig(config(cache));
    expect(await ns.cli(['start'])).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(readFileSync(cache, 'utf8'))).toMatchObject({ host: 'rs1', vips: [{ address: '192.0.2.10' }] });
    expect(await ns.cli(['start'])).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
  });
});
