import { readDrain } from '../drain/record.js';
import type { HealthState } from './answer.js';

// What the daemon shows the health endpoint: the verdict of its last pass (a pass that
// failed outright counts as not in sync), and the drain record, read afresh each time.
export interface DaemonView {
  stats: { last: { error?: string } | null };
  published: { verdict: HealthState['verdict'] } | null;
}

export function daemonHealthState(daemon: DaemonView, drainFile: string): () => HealthState {
  return () => {
    const error = daemon.stats.last?.error;
    return {
      verdict: error ? { inSync: false, why: [`error: ${error}`] } : (daemon.published?.verdict ?? null),
      drain: readDrain(drainFile),
    };
  };
}
