import type { AgentOptions } from '../../agent.js';
import type { Config } from '../../config/types.js';
import { readVipTraffic } from '../../drain/drain.js';
import { heldVips } from '../../store/held-vips.js';
import type { Logger } from '../log.js';
import type { StartMonitor } from '../monitor-child.js';
import { backoffRelease } from './backoff-release.js';
import { cronSchedule } from './cron.js';
import { healthEndpoint } from './health-endpoint.js';
import { kernelEvents } from './kernel-events.js';
import { listenerReread, type ReadPorts } from './listener-reread.js';
import { nftEvents } from './nft-events.js';
import { StoreSource } from './store.js';
import type { ConnectStore } from './store-link.js';
import { sysctlReread } from './sysctl-reread.js';
import type { TriggerSource } from './trigger-source.js';

// What the trigger sources touch outside the daemon; tests put stand-ins here.
export interface SourceSeams {
  agent: AgentOptions;
  logger: Logger;
  startMonitor?: StartMonitor; // the ip and nft monitor children
  readPorts?: ReadPorts; // /proc/net/udp{,6}
  connectStore?: ConnectStore; // etcd
}

// Every reason rs-agent run looks at the host again, for one config: the daemon's list
// of trigger sources, asked for again at every reload (a source whose key is unchanged
// keeps running).
export function triggerSources(config: Config, seams: SourceSeams): TriggerSource[] {
  const { agent, logger } = seams;
  const sources: TriggerSource[] = [
    kernelEvents(logger, seams.startMonitor),
    nftEvents(logger, seams.startMonitor),
    sysctlReread(agent.sysctlFs, {
      ms: config.drift.sysctlIntervalMs,
      guardedMs: config.drift.sysctlGuardedIntervalMs,
    }),
    listenerReread(seams.readPorts),
    cronSchedule(config.drift.schedule),
    backoffRelease(),
  ];
  const health = healthEndpoint(config, logger);
  if (health) sources.push(health);
  if (config.store) {
    // The etcd client is loaded only here: a host without a store never pays for it.
    const connect: ConnectStore =
      seams.connectStore ?? (async (...args) => (await import('./etcd-link.js')).connectEtcd(...args));
    const recorded = () => heldVips(agent.stateDir, config);
    sources.push(new StoreSource(config, { logger, recorded, connect, sample: (vips) => readVipTraffic(agent, vips) }));
  }
  return sources;
}
