import { describe, expect, it } from 'vitest';
import { DocumentBook, type StoreView } from '../../src/store/host-desired.js';
import { parseKey } from '../../src/store/layout.js';
import { checkWipe } from '../../src/store/wipe.js';

const P = '/rs-agent/';

function view(revision: number, entries: Record<string, [string, number]>): StoreView {
  return {
    revision,
    entries: new Map(Object.entries(entries).map(([k, [value, modRevision]]) => [k, { value, modRevision }])),
  };
}

const addresses = (d: { vips: { address: string; mode: string }[] }) => d.vips.map((v) => `${v.address} ${v.mode}`);

describe('key layout', () => {
  it.each([
    ['/rs-agent/groups/web', { kind: 'group', name: 'web' }],
    ['/rs-agent/hosts/rs-web-01', { kind: 'host', name: 'rs-web-01' }],
    ['/rs-agent/allow-empty/all', { kind: 'allow-empty', name: 'all' }],
    ['/rs-agent/status/rs-web-01', { kind: 'status', name: 'rs-web-01' }],
    ['/rs-agent/groups/', null],
    ['/rs-agent/groups/a/b', null],
    ['/rs-agent/other/x', null],
    ['/elsewhere/groups/web', null],
  ])('%s', (key, want) => {
    expect(parseKey(P, key)).toEqual(want);
  });
});

describe("a host's desired VIPs from the store", () => {
  it('takes the groups whose selector matches its labels, and its own host key', () => {
    const book = new DocumentBook(P, 'web-1', { pool: 'web', dc: 'ams1' });
    const d = book.resolve(
      view(9, {
        '/rs-agent/groups/web': ['selector: {pool: web}\nvips: [192.0.2.10]', 3],
        '/rs-agent/groups/web-fra': ['selector: {pool: web, dc: fra1}\nvips: [192.0.2.11]', 4],
        '/rs-agent/groups/everyone': ['vips: [{address: 192.0.2.12, mode: tun}]', 5],
        '/rs-agent/hosts/web-1': ['{"vips": ["192.0.2.13"]}', 6],
        '/rs-agent/hosts/web-2': ['vips: [192.0.2.14]', 8],
      }),
    );
    expect(addresses(d)).toEqual(['192.0.2.12 tun', '192.0.2.10 dr', '192.0.2.13 dr']);
    expect(d).toMatchObject({ revision: 9, docRevision: 6, errors: [], allowEmpty: false });
    expect(d.keys).toEqual(['/rs-agent/groups/everyone', '/rs-agent/groups/web', '/rs-agent/hosts/web-1']);
  });

  it("lets the host key override a group's mode; two groups disagreeing is reported, the first in key order wins", () => {
    const book = new DocumentBook(P, 'web-1', { pool: 'web' });
    const d = book.resolve(
      view(9, {
        '/rs-agent/groups/a': ['vips: [192.0.2.10, 192.0.2.11]', 3],
        '/rs-agent/groups/b': ['mode: tun\nvips: [192.0.2.10]', 4],
        '/rs-agent/hosts/web-1': ['vips: [{address: 192.0.2.11, mode: tun}]', 5],
      }),
    );
    expect(addresses(d)).toEqual(['192.0.2.10 dr', '192.0.2.11 tun']);
    expect(d.errors).toEqual([
      'etcd key /rs-agent/groups/b: VIP 192.0.2.10 is mode tun here but dr in /rs-agent/groups/a; /rs-agent/groups/a wins',
    ]);
  });

  it('refuses an invalid value with the key and key path, and keeps the last valid one in force', () => {
    const book = new DocumentBook(P, 'web-1', { pool: 'web' });
    book.resolve(view(3, { '/rs-agent/groups/web': ['selector: {pool: web}\nvips: [192.0.2.10]', 3] }));
    const d = book.resolve(view(4, { '/rs-agent/groups/web': ['selector: {pool: web}\nvips: [192.0.2.10, nope]', 4] }));
    expect(addresses(d)).toEqual(['192.0.2.10 dr']);
    expect(d.errors).toEqual([
      'config etcd key /rs-agent/groups/web: vips[1]: "nope" is not an IP address (revision 4; its value of revision 3 stays in force)',
    ]);
  });

  it.each([
    ['vips: []', 'vips: is empty: list at least one VIP'],
    ['selector: {pool: web}', 'vips: is required (delete the key to remove its VIPs)'],
    ['vips: [192.0.2.10]\ninterfaces: [eth0]', 'interfaces: unknown key; expected one of selector, mode, vips'],
    ['selector: [web]\nvips: [192.0.2.10]', 'selector: must be a mapping of label to value, not a list'],
    ['mode: nat\nvips: [192.0.2.10]', 'mode: "nat" is not a mode for rs-agent'],
    ['{vips: [', 'not valid YAML or JSON'],
    ['', 'is empty; it needs "vips:"'],
  ])('refuses %j', (value, message) => {
    const book = new DocumentBook(P, 'web-1', {});
    const d = book.resolve(view(2, { '/rs-agent/groups/x': [value, 2] }));
    expect(d.vips).toEqual([]);
    expect(d.errors[0]).toContain(`etcd key /rs-agent/groups/x: ${message}`);
  });

  it('forgets a deleted key, and sees allow-empty for this host or all', () => {
    const book = new DocumentBook(P, 'web-1', {});
    book.resolve(view(3, { '/rs-agent/groups/x': ['vips: [192.0.2.10]', 3] }));
    expect(book.resolve(view(5, { '/rs-agent/allow-empty/web-2': ['', 5] }))).toMatchObject({
      vips: [],
      allowEmpty: false,
    });
    expect(book.resolve(view(6, { '/rs-agent/allow-empty/all': ['', 6] }))).toMatchObject({
      vips: [],
      allowEmpty: true,
    });
    expect(book.resolve(view(7, { '/rs-agent/allow-empty/web-1': ['', 7] }))).toMatchObject({
      vips: [],
      allowEmpty: true,
      docRevision: 7,
    });
  });
});

describe('wipe protection', () => {
  const vip = { address: '192.0.2.10', family: 4 as const, mode: 'dr' as const };
  it.each([
    ['some to none', [vip], [], false, { vips: [vip], held: true }],
    ['some to none, allowed', [vip], [], true, { vips: [], held: false }],
    ['none known before', null, [], false, { vips: [], held: false }],
    ['none to none', [], [], false, { vips: [], held: false }],
    ['some to fewer', [vip, { ...vip, address: '192.0.2.11' }], [vip], false, { vips: [vip], held: false }],
  ])('%s', (_name, previous, next, allowEmpty, want) => {
    expect(checkWipe(previous, next, allowEmpty)).toEqual(want);
  });
});
