import { tableId } from '../../objects/nft-table.js';
import { NFT_TABLES } from '../../objects/registry.js';
import type { Logger } from '../log.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import { monitorSource } from './monitor.js';
import type { TriggerSource } from './trigger-source.js';

// nftables changes as the kernel reports them (`nft monitor`, in the daemon's network
// namespace). A table of rs-agent's flushed or deleted (the ARP guard in the arp family,
// the MSS clamp in inet) asks for a pass at once instead of waiting for the schedule;
// ip monitor does not see nftables. Other tables' events are ignored; rs-agent's own
// loads come back here too and cost one more pass whose plan is empty.
export const NFT_MONITOR_ARGV = ['nft', 'monitor'] as const;

// An event line names its object's family and table: "delete table inet rs_agent",
// "delete rule arp rs_agent input handle 4", "add chain inet rs_agent output ...".
const OWN_TABLES = NFT_TABLES.map(tableId);
export function isOwnTableEvent(line: string): boolean {
  const words = ` ${line.trim().split(/\s+/).join(' ')} `;
  return OWN_TABLES.some((id) => words.includes(` ${id} `));
}

export function nftEvents(queue: PassQueue, scheduler: Scheduler, logger: Logger): TriggerSource {
  // A chunk may end mid-line: the rest waits for the next one.
  let partial = '';
  return monitorSource(
    {
      name: 'nft-monitor-restart',
      argv: NFT_MONITOR_ARGV,
      onText: (text) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        if (lines.some(isOwnTableEvent)) queue.request('event');
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
    },
    queue,
    scheduler,
    logger,
  );
}
