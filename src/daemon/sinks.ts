import { AgentError } from '../errors.js';
import type { Logger } from './log.js';
import { writeMetrics } from './metrics.js';
import { writeDaemonStatus } from './status-file.js';
import type { DaemonStats } from './stats.js';

// Where the daemon's stats go after every pass: the status file for `rs-agent status`,
// and the metrics file if configured (the store's status record is the store source's,
// triggers/store.ts). A failed write is logged once per cause, not once per pass.
export class Sinks {
  private readonly failing = new Set<string>();

  constructor(private readonly logger: Logger) {}

  write(stateDir: string, metricsFile: string | null, stats: DaemonStats): void {
    const writes: [string, () => void][] = [['status', () => writeDaemonStatus(stateDir, stats)]];
    if (metricsFile) writes.push([`metrics ${metricsFile}`, () => writeMetrics(metricsFile, stats)]);
    for (const [what, write] of writes) {
      try {
        write();
        this.failing.delete(what);
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        if (!this.failing.has(what)) this.logger.log('error', 'write-failed', error.message, { error: error.message });
        this.failing.add(what);
      }
    }
  }
}
