import { AgentError } from '../errors.js';
import type { ChangeBase, Problem } from '../model/change.js';
import { FOU_MODULE } from '../model/devices.js';
import { fouKey, type FouListener } from '../model/host.js';
import type { Placement } from '../model/placement.js';
import { listenerKey, moduleKey, VIP_GONE } from '../model/safety-keys.js';
import type { ActualFou } from '../observe/types.js';
import type { ObjectKind, PlanContext } from './kind.js';
import { decodeList, diffOwned, isObject, listAfter } from './owned-list.js';

// GUE listeners (`ip fou add port N gue`): one per port and family the config's GUE VIPs
// use (an IPv4 listener does not receive GUE sent over IPv6, nor the other way round).
// A listener someone else added (before rs-agent, or by hand) is theirs: used if it is
// GUE, never deleted. A port held by a fou listener of another kind is left alone and
// reported.

export interface DesiredFou extends FouListener {
  vips: string[]; // the GUE VIPs it serves, for messages
}

export interface FouChange extends ChangeBase, FouListener {
  kind: 'fou';
  action: 'add' | 'delete';
}

export function desiredFou(vips: Placement['vips']): DesiredFou[] {
  const fou: DesiredFou[] = [];
  for (const vip of vips) {
    if (vip.mode !== 'tun' || vip.encap !== 'gue' || vip.port === undefined) continue;
    const same = fou.find((f) => f.port === vip.port && f.family === vip.family);
    if (same) same.vips.push(vip.address);
    else fou.push({ port: vip.port, family: vip.family, vips: [vip.address] });
  }
  return fou;
}

function planFou(desired: DesiredFou[], owned: FouListener[], { actual }: PlanContext) {
  const present = actual.fou ?? [];
  const taken = new Set(present.filter((f) => f.kind !== 'gue').map(fouKey));
  const gue = new Set(present.filter((f) => f.kind === 'gue').map(fouKey));
  const { add, remove } = diffOwned(desired, gue, owned, fouKey);
  const changes: FouChange[] = [
    ...remove.map((f): FouChange => ({
      kind: 'fou',
      action: 'delete',
      target: fouKey(f),
      from: 'present',
      to: 'absent',
      ...pick(f),
      // After the GUE VIPs it fed are gone.
      safety: { provides: [], needs: [VIP_GONE] },
    })),
    ...add
      .filter((f) => !taken.has(fouKey(f)))
      .map((f): FouChange => ({
        kind: 'fou',
        action: 'add',
        target: fouKey(f),
        from: 'absent',
        to: 'present',
        ...pick(f),
        safety: { provides: [listenerKey(f.port, f.family)], needs: [moduleKey(FOU_MODULE)] },
      })),
  ];
  return { changes, problems: fouProblems(desired, actual.fou) };
}

// A GUE port held by a fou listener of another kind: the kernel refuses a second
// listener on it, and the one there decapsulates something else, so the VIPs that
// use the port receive nothing until the operator frees it or picks another port.
// (A port held by an ordinary UDP socket shows when `ip fou add` fails.)
export function fouProblems(
  desired: readonly DesiredFou[],
  actual: readonly ActualFou[] | null | undefined,
): Problem[] {
  return desired.flatMap((f) => {
    const other = (actual ?? []).find((a) => a.port === f.port && a.family === f.family && a.kind !== 'gue');
    if (!other) return [];
    const v6 = f.family === 6 ? ' -6' : '';
    return [
      {
        item: `fou ${fouKey(f)}`,
        blocks: [listenerKey(f.port, f.family)],
        message:
          `GUE port ${f.port} (IPv${f.family}) is taken by a fou listener of another kind (port ${f.port} ${other.kind}${v6}), ` +
          `not rs-agent's: ${f.vips.join(', ')} receive no GUE packets; remove it (ip fou del port ${f.port}${v6}) or choose another port`,
      },
    ];
  });
}

function pick(f: FouListener): FouListener {
  return { port: f.port, family: f.family };
}

// `ip fou` takes the family as a trailing -6 of its own; a listener is named by port
// and family alone when deleted.
function fouLine(change: FouChange): string {
  if (!Number.isInteger(change.port) || change.port < 1 || change.port > 65535) {
    throw new AgentError(`refusing to pass port ${JSON.stringify(change.port)} to ip fou: not a UDP port`);
  }
  const v6 = change.family === 6 ? ' -6' : '';
  return change.action === 'add' ? `fou add port ${change.port} gue${v6}` : `fou del port ${change.port}${v6}`;
}

export const fouKind: ObjectKind<FouChange, DesiredFou[], FouListener[]> = {
  kind: 'fou',
  // Right after the modules (fou must be loaded); gone after the devices it feeds are
  // down. It exposes nothing by itself: its packets still need the tunnel device up and a VIP.
  rank: { add: 0.5, delete: 7.5 },
  execute: {
    via: 'ip',
    line: fouLine,
    // The kernel's answer to deleting a listener that is not there.
    alreadyDone: (c, message) => c.action === 'delete' && /Invalid argument/.test(message),
    // The planner adds a listener only where no fou listener is, so a port in use is held
    // by an ordinary UDP socket (a dual-stack IPv6 one holds the IPv4 port too).
    hint: (c, message) =>
      c.action === 'add' && /Address already in use/.test(message)
        ? ` (UDP port ${c.port} is taken by another socket on this host, not a fou listener: ` +
          `see "ss -uln sport = :${c.port}"; free it or choose another GUE port)`
        : '',
  },
  desire: (placement) => desiredFou(placement.vips),
  plan: planFou,
  owned: {
    empty: () => [],
    decode: (owned) =>
      decodeList<FouListener>(owned.fou, 'fou', (item) => {
        if (!isObject(item) || (item.family !== 4 && item.family !== 6)) return '.family is not 4 or 6';
        if (!Number.isInteger(item.port) || (item.port as number) < 1 || (item.port as number) > 65535)
          return '.port is not a UDP port';
        return null;
      }),
    encode: (fou) => ({ fou }),
    isEmpty: (fou) => fou.length === 0,
    // Not read this pass (undefined): kept; read, only those still there as GUE.
    after: (before, steps, { actual }) => {
      const there =
        actual.fou === undefined ? null : new Set((actual.fou ?? []).filter((f) => f.kind === 'gue').map(fouKey));
      return listAfter(there === null ? before : before.filter((f) => there.has(fouKey(f))), steps, fouKey, pick);
    },
  },
  render: (c) => `${c.action === 'add' ? '+' : '-'} fou ${c.target}`,
  drift: (c) => `fou ${c.target}: ${c.action === 'add' ? 'missing' : 'present but no longer configured'}`,
};
