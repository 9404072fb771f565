import { tableId } from '../../objects/nft-table.js';
import { NFT_TABLES } from '../../objects/registry.js';
import type { Logger } from '../log.js';
import type { StartMonitor } from '../monitor-child.js';
import type { RequestOptions } from '../trigger.js';
import { monitorSource } from './monitor.js';
import type { TriggerContext, TriggerSource } from './trigger-source.js';

// nftables changes as the kernel reports them (`nft monitor`, in the daemon's network
// namespace). A table of rs-agent's flushed or deleted (the ARP guard in the arp family,
// the MSS clamp in inet) asks for a pass at once instead of waiting for the schedule;
// ip monitor does not see nftables. The ARP guard's table protects: its events ask for
// an urgent pass. Other tables' events are ignored; rs-agent's own loads come back here
// too and cost one more pass whose plan is empty.
export const NFT_MONITOR_ARGV = ['nft', 'monitor'] as const;

// An event line names its object's family and table: "delete table inet rs_agent",
// "delete rule arp rs_agent input handle 4", "add chain inet rs_agent output ...".
export function ownTableOf(line: string): (typeof NFT_TABLES)[number] | undefined {
  const words = ` ${line.trim().split(/\s+/).join(' ')} `;
  return NFT_TABLES.find((t) => words.includes(` ${tableId(t)} `));
}

// What nft monitor prints (on its output) when the kernel dropped events its socket had no
// room for: any table may have changed unseen.
export const LOST_EVENTS = /^# ERROR: We lost some netlink events/;

export function isOwnTableEvent(line: string): boolean {
  return ownTableOf(line) !== undefined;
}

// What a chunk of `nft monitor` output asks for: nothing, a pass, or an urgent one.
export function nftRequest(lines: readonly string[]): RequestOptions | null {
  const tables = lines.map(ownTableOf).filter((t) => t !== undefined);
  if (tables.length === 0) return null;
  return { urgent: tables.some((t) => t.protects) };
}

// Each event also tells the daemon which of its tables a pass must read again
// (daemon/nft-watch.ts).
export function nftEvents(logger: Logger, startMonitor?: StartMonitor): TriggerSource {
  // A chunk may end mid-line: the rest waits for the next one.
  let partial = '';
  let watch: TriggerContext['nft'];
  const source = monitorSource(
    {
      name: 'nft-monitor',
      argv: NFT_MONITOR_ARGV,
      onText: (text) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const table of lines.map(ownTableOf)) if (table) watch?.changed(tableId(table));
        if (lines.some((l) => LOST_EVENTS.test(l))) {
          watch?.lost();
          return { urgent: true };
        }
        return nftRequest(lines);
      },
      // Without nft there is no table to watch (nor to load): the schedule is enough.
      unavailable: (reason) => {
        if (!/command not found/.test(reason)) return false;
        logger.log(
          'info',
          'nft-monitor-unavailable',
          `${reason}; nftables changes are found by the scheduled reconcile`,
        );
        return true;
      },
      // The guard's table may have been flushed while nothing watched.
      joinUrgent: true,
      watching: (on) => watch?.watched(on),
    },
    logger,
    startMonitor,
  );
  return {
    ...source,
    start(ctx) {
      watch = ctx.nft;
      return source.start(ctx);
    },
  };
}
