import type { VipConfig } from '../../config/types.js';
import type { NftWatch } from '../nft-watch.js';
import type { PassResult } from '../pass-result.js';
import type { Scheduler } from '../scheduler.js';
import type { DaemonStats } from '../stats.js';
import type { RequestOptions, Trigger } from '../trigger.js';

// All a trigger source may do to the daemon: ask for a pass, and keep timers on the
// daemon's scheduler.
export interface TriggerContext {
  request(trigger: Trigger, options?: RequestOptions): void;
  readonly scheduler: Scheduler;
  // What the daemon knows of its nftables tables: nft monitor's events keep it current.
  readonly nft?: Pick<NftWatch, 'watched' | 'changed' | 'lost' | 'listening' | 'onListening'>;
}

// Something that notices a reason to look at the host again and asks for a pass: kernel
// events, nftables events, the sysctl and GUE listener re-reads, the cron schedule, the
// end of a backoff, the fleet's store. It decides nothing else: the queue decides when the
// pass runs, the pass decides what to change.
export interface TriggerSource {
  // What it is and how it is set up: on a reload, a source whose key is unchanged keeps
  // running, one whose key changed is stopped and its successor started.
  readonly key: string;
  // Resolves once it is ready for the first pass (the store: after its first read, or
  // a bounded wait for it).
  start(ctx: TriggerContext): void | Promise<void>;
  stop(): void;
  // A source that watches the kernel (a monitor child): resolves once it is watching (its
  // child has joined the kernel's events), or has found there is nothing it can watch.
  watching?(): Promise<void>;
  // After each pass: what the pass read becomes the next baseline; the store writes
  // its status record.
  afterPass?(result: PassResult, stats: DaemonStats): void;
  // A source of desired state too (the store): the VIPs it adds to the file's, read by
  // every pass.
  vips?(): VipConfig[];
  // Why that desired state is unknown (the store has not answered, and no cache), or null.
  unknown?(): string | null;
}
