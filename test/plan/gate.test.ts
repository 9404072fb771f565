import { describe, expect, it } from 'vitest';
import { itemOf } from '../../src/model/change.js';
import type { Change } from '../../src/objects/registry.js';
import { blockDependents, Blocked, gate, selectChanges } from '../../src/plan/gate.js';
import { PLANNED, planned } from '../helpers/changes.js';

// The one gate, as apply and the daemon use it, over one real plan (test/helpers/changes.ts:
// a DR VIP on lo, a GUE VIP on tunl0 with ipip and fou to load, an IPv6 VIP, the ARP guard).

const DR = ['address 192.0.2.10/32 dev lo', 'route 192.0.2.10/32 dev lo'];
const TUN = ['address 198.51.100.7/32 dev tunl0', 'route 198.51.100.7/32 dev tunl0'];
const V6 = ['address 2001:db8::10/128 dev lo', 'route 2001:db8::10/128 dev lo'];
const TUNL0_SYSCTLS = ['arp_ignore', 'arp_announce', 'rp_filter'].map((n) => `sysctl net.ipv4.conf.tunl0.${n}`);
const IPV4_EXPOSURE = ['link tunl0', ...DR, ...TUN];

// What may not run when one change fails, the way apply goes: in plan order, a change
// whose needs are blocked is not run, and blocks what needs it in turn.
function withheldWhenFailing(failing: Change): string[] {
  const blocked = new Blocked();
  const out: string[] = [];
  for (const change of PLANNED) {
    if (change === failing) {
      blockDependents(change, blocked, 'failed');
      continue;
    }
    const why = gate(change, blocked);
    if (why === null) continue;
    out.push(itemOf(change));
    blockDependents(change, blocked, why);
  }
  return out.sort();
}

// Each planned change, failing, against every other change of the plan.
const TABLE: [string, string[]][] = [
  ['module ipip', [...TUNL0_SYSCTLS, ...TUN, 'link tunl0']],
  ['module fou', ['fou port 6080 gue', ...TUN]],
  ['fou port 6080 gue', TUN],
  ['sysctl net.ipv4.conf.all.arp_ignore', IPV4_EXPOSURE],
  ['sysctl net.ipv4.conf.all.arp_announce', IPV4_EXPOSURE],
  ['sysctl net.ipv4.conf.default.arp_ignore', IPV4_EXPOSURE],
  ['sysctl net.ipv4.conf.eth0.arp_announce', IPV4_EXPOSURE],
  // lo and tunl0 receive no ARP from the wire: no VIP waits for their ARP sysctls.
  ['sysctl net.ipv4.conf.lo.arp_ignore', []],
  ['sysctl net.ipv4.conf.tunl0.arp_announce', []],
  // rp_filter protects nothing; the TUN VIP needs it (on tunl0 and on all) to receive anything.
  ['sysctl net.ipv4.conf.tunl0.rp_filter', TUN],
  ['sysctl net.ipv4.conf.all.rp_filter', TUN],
  ['nft table arp rs_agent', IPV4_EXPOSURE],
  ['link tunl0', TUN],
  [DR[0] as string, [DR[1] as string]],
  [TUN[0] as string, [TUN[1] as string]],
  [V6[0] as string, [V6[1] as string]],
  // Nothing needs a route.
  [DR[1] as string, []],
  [TUN[1] as string, []],
  [V6[1] as string, []],
];

describe('the gate: each failing change against each change of a plan', () => {
  it('covers every change of the plan', () => {
    const rows = new Set(TABLE.map(([item]) => item));
    const missing = PLANNED.map(itemOf).filter(
      (item) => !rows.has(item) && !/\.(lo|tunl0|default|eth0|all)\./.test(item),
    );
    expect(missing).toEqual([]);
  });

  it.each(TABLE)('%s failing holds back %j', (item, want) => {
    const failing = PLANNED.find((c) => itemOf(c) === item);
    expect(failing, item).toBeDefined();
    expect(withheldWhenFailing(failing as Change)).toEqual([...want].sort());
  });

  it('no IPv4 VIP, route or VIP device goes up without every ARP protection it needs; the IPv6 VIP needs none', () => {
    for (const item of IPV4_EXPOSURE) {
      const change = PLANNED.find((c) => itemOf(c) === item) as Change;
      expect(change.safety.exposes, item).toBe(true);
      expect(change.safety.needs, item).toEqual(expect.arrayContaining(['arp:nic', 'arp:guard']));
    }
    expect(planned('address', '2001:db8::10/128 dev lo').safety.needs).toEqual([]);
  });
});

describe('selectChanges: the daemon holds back what the flap backoff holds, through the same gate', () => {
  it.each(TABLE.filter(([item]) => !PLANNED.find((c) => itemOf(c) === item)?.safety.protects))(
    '%s held holds back the same as it failing',
    (item, want) => {
      const { apply, held } = selectChanges(PLANNED, (i) => i === item);
      expect(held.map((h) => itemOf(h.change)).sort()).toEqual([item, ...want].sort());
      expect(apply).toHaveLength(PLANNED.length - 1 - want.length);
      expect(held.slice(1).every((h) => h.why === held[0]?.why)).toBe(true);
    },
  );

  it('never holds back protection: an ARP sysctl or the ARP guard the flap backoff calls held is applied all the same', () => {
    const { apply } = selectChanges(PLANNED, () => true);
    // All but tunl0's, whose device waits for its (held) module.
    const protective = PLANNED.filter((c) => c.safety.protects && !c.safety.needs.includes('device:tunl0'));
    expect(protective).toHaveLength(9);
    expect(apply.map(itemOf)).toEqual(protective.map(itemOf));
    expect(apply.map(itemOf)).toContain('nft table arp rs_agent');
  });

  it('a held module holds back only what lives on its device: the DR and IPv6 VIPs go ahead', () => {
    const { apply } = selectChanges(PLANNED, (item) => item === 'module ipip');
    expect(apply.map(itemOf)).toEqual(expect.arrayContaining([...DR, ...V6]));
  });

  it("an IPv6 flag update is the VIP's own item (one flap count per address)", () => {
    const add = planned('address', '2001:db8::10/128 dev lo');
    expect(itemOf({ ...add, action: 'update' } as typeof add)).toBe(itemOf(add));
  });
});
