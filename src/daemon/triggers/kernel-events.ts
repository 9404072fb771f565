import type { Logger } from '../log.js';
import { IP_MONITOR_ARGV, type StartMonitor } from '../monitor-child.js';
import { monitorSource } from './monitor.js';
import type { TriggerSource } from './trigger-source.js';

// Address, route and link changes as the kernel reports them (`ip monitor`): any of
// them asks for a pass. None is urgent: what they report exposes or drops a VIP's
// traffic, and ARP protection has no netlink event (its sysctls are re-read).
export function kernelEvents(logger: Logger, startMonitor?: StartMonitor): TriggerSource {
  return monitorSource(
    { name: 'ip-monitor', argv: IP_MONITOR_ARGV, onText: () => ({}), joinUrgent: false },
    logger,
    startMonitor,
  );
}
