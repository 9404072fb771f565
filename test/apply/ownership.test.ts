import { describe, expect, it } from 'vitest';
import type { Safety } from '../../src/model/change.js';
import type { AddressChange } from '../../src/objects/address.js';
import type { FouChange } from '../../src/objects/fou.js';
import type { Observed } from '../../src/objects/kind.js';
import type { LinkChange } from '../../src/objects/link.js';
import type { NftChange } from '../../src/objects/nft-table.js';
import {
  decodeOwned,
  emptyOwned,
  ownedAfter,
  type Change,
  type ChangeOutcome,
  type Owned,
} from '../../src/objects/registry.js';
import type { RouteChange } from '../../src/objects/route.js';
import type { SysctlChange } from '../../src/objects/sysctl.js';
import type { ActualState } from '../../src/observe/types.js';
import { ipipModule } from '../helpers/changes.js';

// Ownership does not depend on the safety facts.
const safety: Safety = { provides: [], needs: [] };

const ip = (n: number) => `198.18.${n >> 8}.${n & 255}`;
const host = (n: number) => ({ address: ip(n), prefixlen: 32, family: 4 as const, dev: 'lo' });
const hostRoute = (n: number) => ({ dst: ip(n), prefixlen: 32, family: 4 as const, dev: 'lo' });
const address = (n: number, action: AddressChange['action'] = 'add'): AddressChange => ({
  kind: 'address',
  action,
  target: `${ip(n)}/32 dev lo`,
  from: null,
  to: null,
  ...host(n),
  safety,
});
const route = (n: number, action: RouteChange['action'] = 'add'): RouteChange => ({
  kind: 'route',
  action,
  target: `${ip(n)}/32 dev lo`,
  from: null,
  to: null,
  ...hostRoute(n),
  safety,
});
const ALL = 'net/ipv4/conf/all/arp_ignore';
const TUNL = 'net/ipv4/conf/tunl0/arp_ignore';
const sysctl = (path: string, from: string | null, action: SysctlChange['action'] = 'set'): SysctlChange => ({
  kind: 'sysctl',
  action,
  target: path,
  path,
  from,
  to: '1',
  safety,
});
const link = (action: LinkChange['action']): LinkChange => ({
  kind: 'link',
  action,
  target: 'tunl0',
  dev: 'tunl0',
  from: null,
  to: null,
  safety,
});
const nft = (action: NftChange['action']): NftChange => ({
  kind: 'nft',
  action,
  target: 'table arp rs_agent',
  table: 'arp rs_agent',
  holds: [],
  ruleset: '',
  from: null,
  to: null,
  safety,
});
const fou = (action: FouChange['action'], port: number): FouChange => ({
  kind: 'fou',
  action,
  target: `port ${port} gue`,
  from: null,
  to: null,
  port,
  family: 4,
  safety,
});

// A record as the state file holds it (addresses, routes, sysctls, links, modules, fou, nft).
type FileOwned = Record<string, unknown>;
const owned = (parts: FileOwned): Owned => decodeOwned(parts) as Owned;

// A host that bears out everything `before` records (its sysctls not read this pass).
function bearing(before: Owned): ActualState {
  return {
    links: [
      {
        name: 'lo',
        up: true,
        linkType: 'loopback',
        addresses: before.address.map(({ address: a, prefixlen, family }) => ({ address: a, prefixlen, family })),
      },
      ...before.link.map((name) => ({ name, up: true, linkType: 'ipip', addresses: [] })),
    ],
    routes: before.route,
    sysctls: {},
  };
}

type Status = ChangeOutcome['status'];

interface Row {
  name: string;
  before?: Owned;
  plan: Change[];
  outcomes: Status[] | null; // one per change of the plan; null: not applied yet
  actual?: (before: Owned) => ActualState;
  originals?: Record<string, string | null>;
  want: FileOwned;
}

const rows: Row[] = [
  {
    name: 'add, before applying: recorded first',
    plan: [address(1), route(1)],
    outcomes: null,
    want: { addresses: [host(1)], routes: [hostRoute(1)] },
  },
  {
    name: 'add applied: owned',
    plan: [address(1), route(1)],
    outcomes: ['applied', 'applied'],
    want: { addresses: [host(1)], routes: [hostRoute(1)] },
  },
  {
    name: 'add failed: its claim is given back',
    plan: [address(1), route(1)],
    outcomes: ['failed', 'applied'],
    want: { routes: [hostRoute(1)] },
  },
  { name: 'add not attempted: its claim is given back', plan: [address(1)], outcomes: ['skipped'], want: {} },
  {
    name: 'add failed of one owned before: still owned',
    before: owned({ addresses: [host(1)] }),
    plan: [address(1)],
    outcomes: ['failed'],
    want: { addresses: [host(1)] },
  },
  {
    name: 'delete applied: no longer owned',
    before: owned({ addresses: [host(1), host(2)], routes: [hostRoute(1)] }),
    plan: [address(1, 'delete'), route(1, 'delete')],
    outcomes: ['applied', 'applied'],
    want: { addresses: [host(2)] },
  },
  {
    name: 'delete failed: still owned',
    before: owned({ addresses: [host(1)] }),
    plan: [address(1, 'delete')],
    outcomes: ['failed'],
    want: { addresses: [host(1)] },
  },
  {
    name: 'delete, before applying: still owned',
    before: owned({ addresses: [host(1)] }),
    plan: [address(1, 'delete')],
    outcomes: null,
    want: { addresses: [host(1)] },
  },
  {
    name: 'an address update claims nothing: the address stays whose it was',
    plan: [address(1, 'update')],
    outcomes: ['applied'],
    actual: () => bearing(owned({ addresses: [host(1)] })),
    want: {},
  },
  {
    name: 'an address update applied to one owned gives nothing back',
    before: owned({ addresses: [host(1)] }),
    plan: [address(1, 'update')],
    outcomes: ['applied'],
    want: { addresses: [host(1)] },
  },
  {
    name: 'each object once, in plan order',
    plan: [address(2), address(1), address(2), sysctl(ALL, '0'), sysctl(ALL, '2')],
    outcomes: null,
    want: { addresses: [host(2), host(1)], sysctls: { [ALL]: { original: '0' } } },
  },
  {
    name: 'sysctl set: the value the plan saw is the original',
    plan: [sysctl(ALL, '0')],
    outcomes: ['applied'],
    want: { sysctls: { [ALL]: { original: '0' } } },
  },
  {
    name: "sysctl original recorded once: rs-agent's own value is not taken for it",
    before: owned({ sysctls: { [ALL]: { original: '0' } } }),
    plan: [sysctl(ALL, '2')],
    outcomes: ['applied'],
    actual: (b) => ({ ...bearing(b), sysctls: { [ALL]: '2' } }),
    want: { sysctls: { [ALL]: { original: '0' } } },
  },
  { name: 'sysctl set failed: its claim is given back', plan: [sysctl(ALL, '0')], outcomes: ['failed'], want: {} },
  {
    name: 'sysctl restore applied: forgotten',
    before: owned({ sysctls: { [ALL]: { original: '0' } } }),
    plan: [sysctl(ALL, '1', 'restore')],
    outcomes: ['applied'],
    want: {},
  },
  {
    name: 'sysctl restore skipped (kept protective): still owned',
    before: owned({ sysctls: { [ALL]: { original: '0' } } }),
    plan: [sysctl(ALL, '1', 'restore')],
    outcomes: ['skipped'],
    want: { sysctls: { [ALL]: { original: '0' } } },
  },
  {
    name: 'sysctl of a device created this pass: the original read just before the first write',
    plan: [ipipModule, sysctl(TUNL, null)],
    outcomes: null,
    originals: { [TUNL]: '0' },
    want: { modules: ['ipip'], sysctls: { [TUNL]: { original: '0' } } },
  },
  {
    name: 'sysctl of a device created this pass, not read yet: no claim',
    plan: [ipipModule, sysctl(TUNL, null)],
    outcomes: null,
    want: { modules: ['ipip'] },
  },
  {
    name: 'sysctl with no file (read as null): nothing to restore, no claim',
    plan: [sysctl(TUNL, null)],
    outcomes: ['applied'],
    originals: { [TUNL]: null },
    want: {},
  },
  {
    name: 'link up applied: owned; link down applied: no longer',
    before: owned({ links: ['gre0'] }),
    plan: [link('up'), { ...link('down'), target: 'gre0', dev: 'gre0' }],
    outcomes: ['applied', 'applied'],
    want: { links: ['tunl0'] },
  },
  {
    name: 'module loaded: owned, and never forgotten (kept loaded)',
    before: owned({ modules: ['fou'] }),
    plan: [ipipModule],
    outcomes: ['applied'],
    actual: () => bearing(emptyOwned()),
    want: { modules: ['fou', 'ipip'] },
  },
  { name: 'nft load applied: owned', plan: [nft('load')], outcomes: ['applied'], want: { nft: true } },
  { name: 'nft load failed: not owned', plan: [nft('load')], outcomes: ['failed'], want: {} },
  {
    name: 'nft delete applied: no longer owned',
    before: owned({ nft: true }),
    plan: [nft('delete')],
    outcomes: ['applied'],
    want: {},
  },
  { name: 'nft table not looked at: kept', before: owned({ nft: true }), plan: [], outcomes: [], want: { nft: true } },
  {
    name: 'nft table looked at and gone: forgotten',
    before: owned({ nft: true }),
    plan: [],
    outcomes: [],
    actual: (b) => ({ ...bearing(b), nft: { 'arp rs_agent': { available: true, table: null } } }),
    want: {},
  },
  {
    name: 'fou add and delete applied',
    before: owned({ fou: [{ port: 6080, family: 4 }] }),
    plan: [fou('add', 6081), fou('delete', 6080)],
    outcomes: ['applied', 'applied'],
    want: { fou: [{ port: 6081, family: 4 }] },
  },
  {
    name: 'fou not read this pass: kept',
    before: owned({ fou: [{ port: 6080, family: 4 }] }),
    plan: [],
    outcomes: [],
    want: { fou: [{ port: 6080, family: 4 }] },
  },
  {
    name: "fou read: kept only where a GUE listener is (another kind on the port is not rs-agent's)",
    before: owned({
      fou: [
        { port: 6080, family: 4 },
        { port: 6081, family: 4 },
        { port: 6082, family: 4 },
      ],
    }),
    plan: [],
    outcomes: [],
    actual: (b) => ({
      ...bearing(b),
      fou: [
        { port: 6080, family: 4, kind: 'gue' },
        { port: 6081, family: 4, kind: 'ipproto 4' },
      ],
    }),
    want: { fou: [{ port: 6080, family: 4 }] },
  },
  {
    name: 'fou module not loaded (null): every listener forgotten',
    before: owned({ fou: [{ port: 6080, family: 4 }] }),
    plan: [],
    outcomes: [],
    actual: (b) => ({ ...bearing(b), fou: null }),
    want: {},
  },
  {
    name: 'absent objects forgotten: a pass killed before it acted, objects someone else removed, originals back in place',
    before: owned({
      sysctls: {
        'net/ipv4/conf/all/arp_ignore': { original: '0' }, // still changed: kept
        'net/ipv4/conf/eth0/arp_ignore': { original: '0' }, // back at the original: forgotten
        'net/ipv4/conf/eth9/arp_ignore': { original: '0' }, // device gone: forgotten
        'net/ipv4/conf/lo/arp_ignore': { original: '0' }, // not read this pass: kept
      },
      addresses: [host(10), host(11)],
      routes: [hostRoute(11)],
      links: ['tunl0'],
      modules: ['ipip'],
    }),
    plan: [],
    outcomes: null,
    actual: () => ({
      links: [
        { name: 'lo', up: true, linkType: 'loopback', addresses: [{ address: ip(10), prefixlen: 32, family: 4 }] },
        { name: 'tunl0', up: false, linkType: 'ipip', addresses: [] },
      ],
      routes: [],
      sysctls: {
        'net/ipv4/conf/all/arp_ignore': '1',
        'net/ipv4/conf/eth0/arp_ignore': '0',
        'net/ipv4/conf/eth9/arp_ignore': null,
      },
    }),
    want: {
      sysctls: { 'net/ipv4/conf/all/arp_ignore': { original: '0' }, 'net/ipv4/conf/lo/arp_ignore': { original: '0' } },
      addresses: [host(10)],
      modules: ['ipip'],
    },
  },
  {
    name: 'forgotten, then claimed afresh by this pass',
    before: owned({ addresses: [host(1)] }),
    plan: [address(1)],
    outcomes: ['applied'],
    actual: () => bearing(emptyOwned()),
    want: { addresses: [host(1)] },
  },
  {
    name: 'the ifindex of a present device is recorded with its original',
    plan: [sysctl('net/ipv4/conf/eth0/arp_ignore', '0'), sysctl(ALL, '0')],
    outcomes: null,
    actual: () => ({
      ...bearing(emptyOwned()),
      links: [{ name: 'eth0', ifindex: 2, up: true, linkType: 'ether', addresses: [] }],
    }),
    want: { sysctls: { 'net/ipv4/conf/eth0/arp_ignore': { original: '0', ifindex: 2 }, [ALL]: { original: '0' } } },
  },
];

describe('ownedAfter', () => {
  it.each(rows)('$name', (row) => {
    const before = row.before ?? emptyOwned();
    const frozen = structuredClone(before);
    if (row.outcomes !== null) expect(row.outcomes, 'one outcome per change').toHaveLength(row.plan.length);
    const outcomes = row.outcomes?.map((status, i) => ({ change: row.plan[i] as Change, status })) ?? null;
    const observed: Observed = {
      actual: (row.actual ?? bearing)(before),
      ...(row.originals ? { originals: row.originals } : {}),
    };
    expect(ownedAfter(before, row.plan, outcomes, observed)).toEqual(owned(row.want));
    expect(before, 'before is left as it was').toEqual(frozen);
  });

  it('outcomes in another order than the plan (skipped ones first) give the same result', () => {
    const plan = [address(1), address(2), route(1)];
    const outcomes: ChangeOutcome[] = [
      { change: route(1), status: 'skipped' },
      { change: address(2), status: 'applied' },
      { change: address(1), status: 'applied' },
    ];
    expect(ownedAfter(emptyOwned(), plan, outcomes, { actual: bearing(emptyOwned()) })).toEqual(
      owned({ addresses: [host(2), host(1)] }),
    );
  });

  it('10000 VIPs (20000 objects): all recorded before applying, all given back once deleted', () => {
    const adds = Array.from({ length: 10000 }, (_, i) => [address(i), route(i)]).flat();
    const all = ownedAfter(emptyOwned(), adds, null, { actual: bearing(emptyOwned()) });
    expect(all.address).toHaveLength(10000);
    expect(all.route).toHaveLength(10000);
    const deletes = adds.map((c) => ({ ...c, action: 'delete' as const }));
    const outcomes = deletes.map((change) => ({ change, status: 'applied' as const }));
    expect(ownedAfter(all, deletes, outcomes, { actual: bearing(all) })).toEqual(emptyOwned());
  });
});
