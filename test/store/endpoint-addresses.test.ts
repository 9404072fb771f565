import { afterEach, describe, expect, it } from 'vitest';
import type { StoreConfig } from '../../src/config/types.js';
import { forgetEndpointAnswers, storeEndpoints } from '../../src/store/endpoint-addresses.js';

// The store's addresses, which no VIP may be: literal IPs as written, names as the
// client resolves them, a slow or failing resolver never holding up a pass.

const store = (endpoints: string[]): StoreConfig => ({
  endpoints,
  prefix: '/rs-agent/',
  insecure: false,
  tls: null,
  auth: null,
  cache: '/var/lib/rs-agent/cache.json',
  statusTtlS: 30,
  heartbeatS: 10,
});

afterEach(() => forgetEndpointAnswers());

describe('storeEndpoints', () => {
  it('literal IPv4 and IPv6 endpoints stand for themselves, canonical, without a lookup', async () => {
    const asked: string[] = [];
    const lookup = async (name: string) => (asked.push(name), []);
    const out = await storeEndpoints(store(['https://192.0.2.5:2379', 'https://[2001:0db8::5]:2379']), { lookup });
    expect(out).toEqual([
      { key: 'source.etcd.endpoints[0]', url: 'https://192.0.2.5:2379', name: null, addresses: ['192.0.2.5'] },
      { key: 'source.etcd.endpoints[1]', url: 'https://[2001:0db8::5]:2379', name: null, addresses: ['2001:db8::5'] },
    ]);
    expect(asked).toEqual([]);
  });

  it('a name: every address it resolves to; a name that does not resolve says why', async () => {
    const lookup = async (name: string) => {
      if (name === 'etcd.example') return ['203.0.113.5', '2001:db8:0::5'];
      throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    };
    const out = await storeEndpoints(store(['https://etcd.example:2379', 'https://gone.example:2379']), { lookup });
    expect(out.map((e) => [e.name, e.addresses, e.error])).toEqual([
      ['etcd.example', ['203.0.113.5', '2001:db8::5'], undefined],
      ['gone.example', [], 'ENOTFOUND'],
    ]);
  });

  it('answers are reused; refreshed in the background after 30 s; a failed refresh keeps the last addresses', async () => {
    let now = 0;
    const answers: (string[] | Error)[] = [['203.0.113.5'], new Error('resolver down'), ['203.0.113.6']];
    let asked = 0;
    const lookup = async () => {
      const a = answers[asked++]!;
      if (a instanceof Error) throw a;
      return a;
    };
    const cfg = store(['https://etcd.example:2379']);
    const addresses = async () => (await storeEndpoints(cfg, { lookup, now: () => now }))[0]!.addresses;
    expect(await addresses()).toEqual(['203.0.113.5']);
    now = 29_999;
    expect(await addresses()).toEqual(['203.0.113.5']);
    expect(asked).toBe(1);
    now = 30_000;
    expect(await addresses()).toEqual(['203.0.113.5']); // the pass uses the last answer
    await new Promise((r) => setImmediate(r));
    expect(asked).toBe(2);
    expect(await addresses()).toEqual(['203.0.113.5']); // the failed refresh kept it
    now = 60_000;
    await addresses();
    await new Promise((r) => setImmediate(r));
    expect(await addresses()).toEqual(['203.0.113.6']);
  });
});
