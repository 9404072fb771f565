import { readDrain } from '../drain/record.js';
import { AgentError } from '../errors.js';
import { passTraffic } from '../traffic/sample.js';
import type { Logger } from './log.js';
import { writeMetrics } from './metrics.js';
import { writeDaemonStatus } from './status-file.js';
import type { DaemonStats } from './stats.js';

export interface MetricsSink {
  file: string | null; // metrics.file
  traffic: Parameters<typeof passTraffic>[0] | null; // the last snapshot a pass took; null: none yet
  drainFile: string; // drain.file
}

// Where the daemon's stats go after every pass: the status file for `rs-agent status`,
// and the metrics file if configured (the store's status record is the store source's,
// triggers/store.ts). A failed write is logged once per cause, not once per pass.
export class Sinks {
  private readonly failing = new Set<string>();

  constructor(private readonly logger: Logger) {}

  // traffic: the last pass that ran (its VIPs and the tables it read), sampled here only
  // for the metrics; drainFile: the drain record, read afresh.
  write(stateDir: string, metrics: MetricsSink, stats: DaemonStats): void {
    const writes: [string, () => void][] = [['status', () => writeDaemonStatus(stateDir, stats)]];
    const { file, traffic, drainFile } = metrics;
    if (file) {
      const write = () => writeMetrics(file, stats, traffic ? passTraffic(traffic) : null, readDrain(drainFile));
      writes.push([`metrics ${file}`, write]);
    }
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
