import type { Logger } from '../log.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import { monitorSource } from './monitor.js';
import type { TriggerSource } from './trigger-source.js';

// Address, route and link changes as the kernel reports them (`ip monitor`): any of
// them asks for a pass.
export function kernelEvents(queue: PassQueue, scheduler: Scheduler, logger: Logger): TriggerSource {
  return monitorSource({ name: 'ip-monitor-restart', onText: () => queue.request('event') }, queue, scheduler, logger);
}
