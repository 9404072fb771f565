import type { Family } from '../../config/address.js';
import { fouKey, type FouListener } from '../../model/host.js';
import { readUdpPorts } from '../../observe/udp-sockets.js';
import { listenersLeft } from '../pass-result.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

// A GUE listener deleted (`ip fou del`) sends no event: fou is a generic netlink family
// without notifications, and ip monitor does not see it. Its UDP socket does leave the
// socket table, though, and /proc/net/udp{,6} can be read without spawning a process
// (about 75 µs for both tables with a 16384-slot hash table). While the config has GUE
// VIPs, the ports the last pass left are re-read every second, and a port that comes or
// goes asks for a pass, which looks with `ip fou show` and repairs. Without GUE VIPs
// nothing is read.
export const LISTENER_INTERVAL_MS = 1000;

export type ReadPorts = (family: Family) => Set<number> | null;

export function listenerReread(readPorts: ReadPorts = readUdpPorts): TriggerSource {
  let watched: readonly FouListener[] = [];
  let baseline = '';
  let ctx: TriggerContext | null = null;
  // Which watched ports have a socket now (or, with `left`, also were left by the pass), as
  // one comparable string of their keys.
  const present = (left: ReadonlySet<string> = new Set()): string => {
    const families = new Set(watched.map((l) => l.family));
    const ports = new Map([...families].map((f) => [f, readPorts(f)]));
    return watched
      .filter((l) => left.has(fouKey(l)) || ports.get(l.family)?.has(l.port) === true)
      .map(fouKey)
      .join(' ');
  };
  const schedule = () => {
    if (ctx === null) return;
    if (watched.length > 0)
      ctx.scheduler.every('listener-reread', LISTENER_INTERVAL_MS, () => {
        if (present() !== baseline) ctx?.request('listener');
      });
    else ctx.scheduler.cancel('listener-reread');
  };
  return {
    key: 'listener-reread',
    start(c) {
      ctx = c;
      schedule();
    },
    stop() {
      ctx?.scheduler.cancel('listener-reread');
      ctx = null;
    },
    // The GUE listeners the config wants, after a pass: the host's ports now are the
    // baseline for the next comparison, with those the pass left in place counted as there:
    // one deleted while the pass ran is then found at the next re-read. (Not the pass's
    // view alone: a port another socket holds, which the pass could not listen on, would
    // then differ at every re-read.)
    afterPass(result) {
      const listeners = result.reconcile?.snapshot.desired.parts.fou as FouListener[] | undefined;
      if (listeners === undefined) return;
      const before = watched.length;
      watched = listeners;
      baseline = present(listenersLeft(result));
      if ((before === 0) !== (listeners.length === 0)) schedule();
    },
  };
}
