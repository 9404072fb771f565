import { writeFileAtomic } from '../system/atomic-write.js';
import { renderTrafficMetrics, type DrainMetric } from '../traffic/metrics.js';
import type { TrafficSample } from '../traffic/sample.js';
import { KINDS, type DaemonStats } from './stats.js';
import { TRIGGERS } from './trigger.js';

// The Prometheus text exposition format, for node_exporter's textfile collector:
// no listening socket, the file is replaced atomically after every reconcile. The last
// pass's traffic sample and the drain state follow (traffic/metrics.ts).
export function renderMetrics(
  stats: DaemonStats,
  traffic: TrafficSample | null = null,
  drain: DrainMetric | null = null,
): string {
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  const last = stats.last;
  metric('rs_agent_in_sync', 'gauge', '1 when the last reconcile left the host as configured, else 0.', [
    ['', last?.inSync ? 1 : 0],
  ]);
  metric(
    'rs_agent_repairs_total',
    'counter',
    'Drifted items repaired by rs-agent run (the desired state had not moved), by kind.',
    KINDS.map((k) => [`{kind="${k}"}`, stats.repairs[k]]),
  );
  metric(
    'rs_agent_changes_total',
    'counter',
    'Changes applied because the desired state moved (the first pass, a reload, the store), by kind.',
    KINDS.map((k) => [`{kind="${k}"}`, stats.changes[k]]),
  );
  metric('rs_agent_repair_failures_total', 'counter', 'Repairs that failed.', [['', stats.failedRepairs]]);
  metric(
    'rs_agent_flap_backoffs_total',
    'counter',
    'Times an item was repaired too often and held back (another tool keeps undoing it).',
    [['', stats.flapBackoffs]],
  );
  metric(
    'rs_agent_protection_fights_total',
    'counter',
    'Times something else kept undoing ARP protection (a sysctl, the ARP guard); never held back, repaired every time.',
    [['', stats.protectionFights]],
  );
  metric('rs_agent_flap_backoff_items', 'gauge', 'Items the flap backoff holds back now.', [
    ['', stats.backoffItems.filter((h) => h.heldUntil !== null).length],
  ]);
  metric(
    'rs_agent_unavailable_items',
    'gauge',
    'Things the config asks for that the host cannot have now (a configured NIC missing).',
    [['', stats.problems.length]],
  );
  metric(
    'rs_agent_reconciles_total',
    'counter',
    'Reconcile passes, by what triggered them (a pass asked for by two counts for both).',
    TRIGGERS.map((t) => [`{trigger="${t}"}`, stats.reconciles[t]]),
  );
  metric('rs_agent_last_reconcile_timestamp_seconds', 'gauge', 'When the last reconcile ended (Unix time).', [
    ['', last ? seconds(Date.parse(last.at)) : 0],
  ]);
  metric('rs_agent_last_reconcile_duration_seconds', 'gauge', 'How long the last reconcile took.', [
    ['', last ? seconds(last.durationMs) : 0],
  ]);
  out.push(...renderTrafficMetrics(traffic, drain));
  return `${out.join('\n')}\n`;
}

// Milliseconds as seconds, without binary-fraction noise (0.0138, not 0.013800000000000002).
function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(4));
}

// Replaced whole after every reconcile, so node_exporter never reads half a file. Not
// durable (no fsync): after a power loss the first pass writes it afresh, and a textfile
// directory is often on tmpfs anyway.
export function writeMetrics(
  path: string,
  stats: DaemonStats,
  traffic: TrafficSample | null = null,
  drain: DrainMetric | null = null,
): void {
  writeFileAtomic(path, renderMetrics(stats, traffic, drain), { mode: 0o644, durable: false });
}
