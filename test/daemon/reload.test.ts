import { execa } from 'execa';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessConfig, useInProcessDaemon, type InProcess } from '../helpers/daemon-in-process.js';

// SIGHUP (Daemon.reload, which run.ts calls on the signal) re-reads everything: the file,
// and with it `source:`, `host` and `labels`. What it changes is a change, not drift.

const VIP11 = 'address 192.0.2.11/32 dev lo';
const VIP12 = 'address 192.0.2.12/32 dev lo';
const daemon = useInProcessDaemon('rsa-reload-');
const { tempDir } = daemon;

const reload = (d: InProcess) => d.until(d.daemon.reload());

describe('reload of the file', () => {
  it('a broken config is rejected and the old one stays in force; a valid one is taken, its VIPs added as changes', async () => {
    const d = await daemon.start(inProcessConfig(tempDir()));
    d.setConfig('vips: [192.0.2.10]\narp: {ignore: 0}\n');
    await reload(d);
    expect(d.events('reload-rejected')).toMatchObject([
      { level: 'error', message: expect.stringMatching(/arp\.ignore: 0 must be 1 or 2/) },
    ]);
    d.deleteVip('192.0.2.11'); // still guarded by the config in force
    await d.run(5);
    expect(d.events('repair').map((l) => l.item)).toEqual([VIP11]);

    d.setConfig(inProcessConfig(tempDir()).replace('192.0.2.11]', '192.0.2.11, 192.0.2.12]'));
    await reload(d);
    await d.run(5);
    expect(d.events('reloaded')).toMatchObject([{ level: 'info', vips: 3, started: null, stopped: null }]);
    expect(d.events('change').filter((l) => l.item === VIP12)).toMatchObject([{ action: 'add', trigger: 'reload' }]);
    expect(d.events('repair').map((l) => l.item)).toEqual([VIP11]);
    expect(d.daemon.currentStats.reloads).toEqual({ applied: 1, rejected: 1 });
  });

  it('a new sysctl interval is in force after the reload: the re-read is restarted with it', async () => {
    const d = await daemon.start(inProcessConfig(tempDir()));
    d.setConfig(inProcessConfig(tempDir()).replace('sysctl_interval: 100ms', 'sysctl_interval: 1s'));
    await reload(d);
    await d.run(5);
    expect(d.events('reloaded')[0]?.message).toMatch(/; started sysctl-reread, stopped sysctl-reread$/);
    d.kernel.sysctls.set('net/ipv4/conf/all/arp_ignore', '0');
    await d.run(900);
    expect(d.events('repair')).toEqual([]);
    await d.run(110);
    expect(d.events('repair').map((l) => l.item)).toEqual(['sysctl net.ipv4.conf.all.arp_ignore']);
  });
});

describe('reload of `source:`, `host` and `labels`', () => {
  const GROUP = (pool: string) => `/rs-agent/groups/${pool}`;
  const storeConfig = (opts: { endpoint?: string; pool?: string; host?: string; tls?: string } = {}) =>
    [
      'vips: [192.0.2.10]',
      'source:',
      '  etcd:',
      `    endpoints: [${opts.endpoint ?? (opts.tls ? 'https' : 'http') + '://192.0.2.250:2379'}]`,
      `    cache: ${join(tempDir(), 'cache.json')}`,
      ...(opts.tls ? [`    tls: {ca: ${opts.tls}}`] : ['    insecure: true']),
      `host: ${opts.host ?? 'web-1'}`,
      `labels: {pool: ${opts.pool ?? 'web'}}`,
      'interfaces: [eth0]',
      'arp: {guard: off}',
      'drift: {schedule: "0 0 1 1 *"}',
      '',
    ].join('\n');
  const onLo = (d: InProcess) =>
    d.kernel
      .render()
      .addresses.filter((a) => a.startsWith('192.0.2.'))
      .map((a) => a.split('/')[0]);
  const withGroups = (_kernel: unknown, store: InProcess['store']) => {
    store.put(GROUP('web'), 'selector: {pool: web}\nvips: [192.0.2.20]\n');
    store.put(GROUP('db'), 'selector: {pool: db}\nvips: [192.0.2.30]\n');
  };

  it('unchanged, the store goes on; new labels, host or endpoints restart it, and what it asks for moves as changes', async () => {
    const d = await daemon.start(storeConfig(), withGroups);
    expect(onLo(d)).toEqual(['192.0.2.10', '192.0.2.20']);
    await reload(d);
    expect(d.store.connects).toHaveLength(1);

    d.setConfig(storeConfig({ pool: 'db' }));
    await reload(d);
    await d.run(5);
    expect(d.store.connects).toHaveLength(2);
    expect(d.store.open).toBe(1); // the old link closed
    expect(d.events('reloaded').at(-1)?.message).toMatch(/; started store, stopped store$/);
    expect(onLo(d)).toEqual(['192.0.2.10', '192.0.2.30']);
    expect(d.events('repair')).toEqual([]);
    expect(
      d
        .events('change')
        .filter((l) => l.trigger === 'reload' && l.kind === 'address')
        .map((l) => `${l.action} ${l.item}`),
    ).toEqual(['delete address 192.0.2.20/32 dev lo', 'add address 192.0.2.30/32 dev lo']);

    d.setConfig(storeConfig({ pool: 'db', host: 'db-9' }));
    await reload(d);
    expect(d.store.connects).toHaveLength(3);
    d.setConfig(storeConfig({ pool: 'db', host: 'db-9', endpoint: 'http://192.0.2.251:2379' }));
    await reload(d);
    expect(d.store.connects.map((c) => c.endpoints[0])).toEqual([
      'http://192.0.2.250:2379',
      'http://192.0.2.250:2379',
      'http://192.0.2.250:2379',
      'http://192.0.2.251:2379',
    ]);
    expect(d.store.open).toBe(1);
  });

  it('new TLS material at the same path restarts the store; TLS that cannot be read is rejected and the store in force stays', async () => {
    // Two real CAs (config load checks a CA is a certificate), one after the other at one path.
    const newCa = async (name: string) => {
      const dir = tempDir();
      await execa(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.pem`),
          '-days',
          '1',
          '-subj',
          `/CN=${name}`,
        ]),
      );
      return readFileSync(join(dir, `${name}.pem`));
    };
    const [first, rotated] = [await newCa('first-ca'), await newCa('rotated-ca')];
    const ca = join(tempDir(), 'ca.pem');
    writeFileSync(ca, first, { mode: 0o644 });
    const d = await daemon.start(storeConfig({ tls: ca }), withGroups);
    await reload(d);
    expect(d.store.connects).toHaveLength(1);
    writeFileSync(ca, rotated);
    await reload(d);
    expect(d.store.connects).toHaveLength(2);
    rmSync(ca);
    await reload(d);
    expect(d.events('reload-rejected')).toMatchObject([
      { message: expect.stringContaining(`source.etcd.tls.ca: ${ca}: no such file`) },
    ]);
    expect(d.store.connects).toHaveLength(2);
    expect(d.store.open).toBe(1);
    expect(d.daemon.currentStats.reloads).toEqual({ applied: 2, rejected: 1 });
  });

  it('a store that cannot start after a reload is said, its cache stays in force, and so does the rest of the reload', async () => {
    const d = await daemon.start(storeConfig(), withGroups);
    d.store.connectError = 'etcd3: cannot load the client';
    d.setConfig(
      storeConfig({ endpoint: 'http://192.0.2.251:2379' }).replace(
        'vips: [192.0.2.10]',
        'vips: [192.0.2.10, 192.0.2.11]',
      ),
    );
    await reload(d);
    await d.run(5);
    expect(d.events('source-failed')).toMatchObject([
      { level: 'error', source: 'store', message: 'SIGHUP: store could not start: etcd3: cannot load the client' },
    ]);
    expect(d.internalErrors).toEqual([]);
    // The file's new VIP is in; the store's stay as its cache last had them (fail static).
    expect(onLo(d)).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.20']);
  });

  it("removing `source:` stops the store; its VIPs go as changes, the file's stay", async () => {
    const d = await daemon.start(storeConfig(), withGroups);
    d.setConfig(inProcessConfig(tempDir()).replace('192.0.2.10, 192.0.2.11', '192.0.2.10'));
    await reload(d);
    await d.run(5);
    expect(d.store.open).toBe(0);
    expect(d.events('reloaded').at(-1)?.message).toMatch(/; stopped store$/);
    expect(onLo(d)).toEqual(['192.0.2.10']);
    expect(d.events('change').filter((l) => l.kind === 'address' && l.trigger === 'reload')).toMatchObject([
      { action: 'delete', item: 'address 192.0.2.20/32 dev lo' },
    ]);
    // The store's later puts reach nobody.
    d.store.put(GROUP('web'), 'selector: {pool: web}\nvips: [192.0.2.21]\n');
    await d.run(5);
    expect(onLo(d)).toEqual(['192.0.2.10']);
  });
});
