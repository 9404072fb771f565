import { interfaceNameProblem } from '../config/interface-name.js';
import type { ChangeBase } from '../model/change.js';
import type { Placement } from '../model/placement.js';
import { ARP_PROTECTION, deviceKey, upKey, vipGoneOn } from '../model/safety-keys.js';
import { token } from './host-record.js';
import type { ObjectKind, PlanContext } from './kind.js';
import { decodeList, listAfter } from './owned-list.js';

// Tunnel devices that must be administratively up to receive. rs-agent brings them up
// and, once it no longer needs one it brought up, down again; it never creates or
// deletes a device (a module's fallback device comes with the module).

export interface LinkChange extends ChangeBase {
  kind: 'link';
  action: 'up' | 'down';
  dev: string;
}

function desire(placement: Placement): string[] {
  return placement.tunnels.map((t) => t.device);
}

function planLinks(desired: string[], owned: string[], { actual }: PlanContext) {
  const byName = new Map(actual.links.map((l) => [l.name, l]));
  const changes: LinkChange[] = [];
  for (const dev of desired) {
    const link = byName.get(dev);
    if (link?.up) continue;
    // Up, a device receives for the VIPs already on it: it waits for ARP protection.
    changes.push({
      kind: 'link',
      action: 'up',
      target: dev,
      dev,
      from: link ? 'down' : 'absent',
      to: 'up',
      safety: { provides: [upKey(dev)], needs: [deviceKey(dev), ...ARP_PROTECTION], exposes: true },
    });
  }
  for (const dev of owned) {
    if (desired.includes(dev) || !byName.get(dev)?.up) continue;
    changes.push({
      kind: 'link',
      action: 'down',
      target: dev,
      dev,
      from: 'up',
      to: 'down',
      safety: { provides: [], needs: [vipGoneOn(dev)] },
    });
  }
  return { changes };
}

export const linkKind: ObjectKind<LinkChange, string[], string[]> = {
  kind: 'link',
  rank: { up: 2, down: 7 },
  execute: { via: 'ip', line: (c) => `link set dev ${token(c.dev)} ${c.action}` },
  desire,
  plan: planLinks,
  owned: {
    empty: () => [],
    decode: (owned) =>
      decodeList<string>(owned.links, 'links', (dev) =>
        typeof dev === 'string' && interfaceNameProblem(dev) === null ? null : ' is not an interface name',
      ),
    encode: (links) => ({ links }),
    isEmpty: (links) => links.length === 0,
    // Forgotten once down (someone else took it down): the next up claims it afresh.
    after: (before, steps, { actual }) => {
      const up = new Set(actual.links.filter((l) => l.up).map((l) => l.name));
      return listAfter(
        before.filter((dev) => up.has(dev)),
        steps,
        (dev) => dev,
        (c) => c.dev,
      );
    },
  },
  render: (c) => `~ link ${c.dev}: ${c.from} → ${c.to}`,
};
