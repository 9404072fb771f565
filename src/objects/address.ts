import type { ChangeBase } from '../model/change.js';
import { isTunnel, isVipHome } from '../model/devices.js';
import { addressKey, type HostAddress } from '../model/host.js';
import type { PlacedVip, Placement } from '../model/placement.js';
import {
  addressPlacedKey,
  ARP_PROTECTION,
  deviceKey,
  listenerKey,
  rpFilterKey,
  upKey,
  vipGoneKey,
} from '../model/safety-keys.js';
import type { ActualAddress, ActualLink } from '../observe/types.js';
import { checkHost, token } from './host-record.js';
import type { ObjectKind, PlanContext } from './kind.js';
import { decodeList, diffOwned, listAfter } from './owned-list.js';

// VIPs: IPv4 ones on lo with an lo:N label (as ifconfig did) or on their tunnel device,
// IPv6 ones deprecated and without a prefix route. rs-agent deletes only addresses it
// added (the state file), always with the full prefix; any other address is someone
// else's and left alone.

// update: an IPv6 VIP already on its device made deprecated and noprefixroute in place.
export interface AddressChange extends ChangeBase, HostAddress {
  kind: 'address';
  action: 'add' | 'delete' | 'update';
  label?: string;
}

export interface DesiredAddress extends HostAddress {
  needs: string[]; // what must be in place first (see placedNeeds)
}

export function presentAddresses(links: readonly ActualLink[]): HostAddress[] {
  return links.flatMap((link) =>
    link.addresses.map((a) => ({ address: a.address, prefixlen: a.prefixlen, family: a.family, dev: link.name })),
  );
}

// What a VIP waits for: its device (created by its module, up), and for IPv4 the ARP
// protection of every device facing the wire, never that of another tunnel; a TUN VIP
// also rp_filter off on its device and on all (IPv4), and a GUE VIP its listener.
export function placedNeeds(vip: PlacedVip): string[] {
  const needs: string[] = [];
  if (vip.dev !== 'lo') needs.push(deviceKey(vip.dev), upKey(vip.dev));
  if (vip.family === 4) needs.push(...ARP_PROTECTION);
  if (vip.mode === 'tun' && vip.family === 4) needs.push(rpFilterKey(vip.dev), rpFilterKey('all'));
  if (vip.encap === 'gue' && vip.port !== undefined) needs.push(listenerKey(vip.port, vip.family));
  return needs;
}

function desire(placement: Placement): DesiredAddress[] {
  return placement.vips.map((vip) => ({
    address: vip.address,
    prefixlen: vip.prefixlen,
    family: vip.family,
    dev: vip.dev,
    needs: placedNeeds(vip),
  }));
}

// Adds missing VIPs; deletes owned addresses no longer desired; makes a present IPv6 VIP
// that lost its flags (re-added by someone else) deprecated and noprefixroute again.
function planAddresses(desired: DesiredAddress[], owned: HostAddress[], { actual }: PlanContext) {
  const { add, remove } = diffOwned(
    desired,
    new Set(presentAddresses(actual.links).map(addressKey)),
    owned,
    addressKey,
  );
  const labels = new LabelAllocator(actual.links);
  const deletes = remove.map((a): AddressChange => ({
    kind: 'address',
    action: 'delete',
    target: addressKey(a),
    from: 'present',
    to: 'absent',
    ...pick(a),
    safety: { provides: [vipGoneKey(a.dev, addressKey(a))], needs: [] },
  }));
  const adds = add.map((a): AddressChange => {
    const label = a.dev === 'lo' && a.family === 4 ? labels.next() : undefined;
    return {
      kind: 'address',
      action: 'add',
      target: addressKey(a),
      from: 'absent',
      to: 'present',
      ...pick(a),
      ...(label ? { label } : {}),
      safety: { provides: [addressPlacedKey(addressKey(a))], needs: a.needs, exposes: true },
    };
  });
  return { changes: [...deletes, ...flagUpdates(desired, actual.links), ...adds] };
}

// A present IPv6 VIP must be deprecated (else the host may pick it as the source
// address of connections it opens) and have no kernel prefix route beside rs-agent's.
// Both can be set on the existing address, so the VIP never goes away. The update
// claims nothing: whoever added the address still owns it.
function flagUpdates(desired: readonly HostAddress[], links: readonly ActualLink[]): AddressChange[] {
  const v6 = desired.filter((a) => a.family === 6);
  if (v6.length === 0) return [];
  // Keyed from a fresh literal: spreading each ActualAddress made 10000-VIP plans 2x slower.
  const present = new Map<string, ActualAddress>();
  for (const link of links) {
    for (const a of link.addresses) {
      if (a.family === 6) present.set(addressKey({ address: a.address, prefixlen: a.prefixlen, dev: link.name }), a);
    }
  }
  return v6.flatMap((a): AddressChange[] => {
    const actual = present.get(addressKey(a));
    if (!actual) return [];
    const from: string[] = [];
    const to: string[] = [];
    if (actual.deprecated !== true) {
      from.push('preferred');
      to.push('deprecated');
    }
    if (actual.noprefixroute !== true) {
      from.push('prefixroute');
      to.push('noprefixroute');
    }
    if (from.length === 0) return [];
    return [
      {
        kind: 'address',
        action: 'update',
        target: addressKey(a),
        from: from.join(' '),
        to: to.join(' '),
        ...pick(a),
        safety: { provides: [], needs: [] },
      },
    ];
  });
}

// Hands out lo:0, lo:1, ... skipping labels already on lo.
class LabelAllocator {
  private readonly used: Set<string>;
  private n = 0;

  constructor(links: readonly ActualLink[]) {
    const lo = links.find((l) => l.name === 'lo');
    this.used = new Set((lo?.addresses ?? []).map((a) => a.label ?? ''));
  }

  next(): string {
    while (this.used.has(`lo:${this.n}`)) this.n++;
    const label = `lo:${this.n}`;
    this.used.add(label);
    return label;
  }
}

// Addresses that look like VIPs rs-agent could have added (on lo: IPv4 outside 127/8,
// IPv6 other than ::1; on a tunnel device: any but IPv6 link-local) and that it has no
// record of. Stop names them when its record is gone, and never deletes them: without
// the record nothing proves they are rs-agent's and not another tool's.
export function unrecordedVips(links: readonly ActualLink[], owned: readonly HostAddress[]): HostAddress[] {
  const recorded = new Set(owned.map(addressKey));
  return links.flatMap((link) => {
    if (!isVipHome(link)) return [];
    const tunnel = isTunnel(link);
    return link.addresses
      .filter((a) =>
        a.family === 4
          ? tunnel || !a.address.startsWith('127.')
          : a.address !== '::1' && !/^fe[89ab][0-9a-f]:/i.test(a.address),
      )
      .map((a) => ({ address: a.address, prefixlen: a.prefixlen, family: a.family, dev: link.name }))
      .filter((a) => !recorded.has(addressKey(a)));
  });
}

function pick(a: HostAddress): HostAddress {
  return { address: a.address, prefixlen: a.prefixlen, family: a.family, dev: a.dev };
}

export const addressKind: ObjectKind<AddressChange, DesiredAddress[], HostAddress[]> = {
  kind: 'address',
  // Deletes before adds, so a VIP moving between devices never collides with itself. An
  // update shares the adds' rank: it exposes nothing (it takes the VIP out of source-address
  // selection), needs no sysctl (IPv6 has no ARP) and its device already holds it.
  rank: { delete: 4, update: 5, add: 5 },
  execute: {
    via: 'ip',
    line: (c) => addressLine(c),
    // IPv6 says "File exists" for the same address at any prefix or flags (one per
    // device), so what is there may not be what was asked for: reported, and the next
    // pass plans against what is there. IPv4 says it only for the same address and prefix.
    alreadyDone: (c, message) =>
      c.action === 'add'
        ? c.family === 4 && /File exists|Address already assigned/i.test(message)
        : c.action === 'delete' && /Cannot assign requested address|Address not found/i.test(message),
  },
  desire,
  plan: planAddresses,
  owned: {
    empty: () => [],
    decode: (owned) => decodeList<HostAddress>(owned.addresses, 'addresses', (item) => checkHost(item, 'address')),
    encode: (addresses) => ({ addresses }),
    isEmpty: (addresses) => addresses.length === 0,
    // Forgotten once gone (someone else removed it): kept, such a claim would make a later
    // stop delete an address someone else added with the same name.
    after: (before, steps, { actual }) => {
      const present = new Set(presentAddresses(actual.links).map(addressKey));
      return listAfter(
        before.filter((a) => present.has(addressKey(a))),
        steps.filter((s) => s.change.action !== 'update'),
        addressKey,
        pick,
      );
    },
  },
  render: (c) =>
    c.action === 'update'
      ? `~ address ${c.target}: ${c.from} → ${c.to}`
      : `${c.action === 'add' ? '+' : '-'} address ${c.target}${c.label ? ` label ${c.label}` : ''}`,
  drift: (c) =>
    c.action === 'update'
      ? `address ${c.target}: ${c.from} → ${c.to}`
      : `address ${c.target}: ${c.action === 'add' ? 'missing' : 'present but no longer configured'}`,
};

// An IPv6 VIP must never be chosen as a source address, nor wait for DAD. And without
// noprefixroute the kernel adds its own /128 route (metric 256) beside the one rs-agent
// adds and owns, and deleting "the" route removes the wrong one.
const V6_VIP_FLAGS = 'nodad preferred_lft 0 noprefixroute';

function addressLine(c: AddressChange): string {
  const prefix = `${token(c.address)}/${c.prefixlen}`;
  const dev = token(c.dev);
  if (c.action === 'delete') return `address del ${prefix} dev ${dev}`;
  // Sets the flags on the address in place (the kernel accepts nodad, preferred_lft and
  // noprefixroute on an existing IPv6 address, and drops its prefix route when
  // noprefixroute is set). For IPv6 the kernel creates the address if it is gone by now,
  // `change` or not: the VIP is then back, correct, and not rs-agent's.
  if (c.action === 'update') return `address change ${prefix} dev ${dev} ${V6_VIP_FLAGS}`;
  const label = c.label ? ` label ${token(c.label)}` : '';
  const v6 = c.family === 6 ? ` ${V6_VIP_FLAGS}` : '';
  return `address add ${prefix} dev ${dev}${label}${v6}`;
}
