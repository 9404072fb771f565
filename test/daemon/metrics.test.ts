import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMetrics, writeMetrics } from '../../src/daemon/metrics.js';
import { initialStats } from '../../src/daemon/stats.js';

describe('metrics', () => {
  it('renders the Prometheus text format: in-sync flag, repairs and changes by kind, backoffs, last reconcile', () => {
    const stats = initialStats(42, new Date('2030-01-01T00:00:00Z'), '/etc/rs-agent/rs-agent.yaml');
    stats.repairs.address = 3;
    stats.repairs.sysctl = 1;
    stats.changes.address = 7;
    stats.flapBackoffs = 2;
    stats.protectionFights = 4;
    stats.reconciles.event = 5;
    stats.backoffItems = [
      { item: 'address 192.0.2.10/32 dev lo', repairsInWindow: 6, trips: 2, heldUntil: '2030-01-01T00:01:00.000Z' },
    ];
    stats.last = { at: '2030-01-01T00:00:10.500Z', durationMs: 13.8, trigger: 'event', inSync: true };
    stats.problems = ['config x: interfaces[1]: "eth1": no such network interface on this host'];
    const text = renderMetrics(stats);
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples).toEqual([
      'rs_agent_in_sync 1',
      'rs_agent_repairs_total{kind="module"} 0',
      'rs_agent_repairs_total{kind="sysctl"} 1',
      'rs_agent_repairs_total{kind="link"} 0',
      'rs_agent_repairs_total{kind="address"} 3',
      'rs_agent_repairs_total{kind="route"} 0',
      'rs_agent_repairs_total{kind="fou"} 0',
      'rs_agent_repairs_total{kind="nft"} 0',
      'rs_agent_changes_total{kind="module"} 0',
      'rs_agent_changes_total{kind="sysctl"} 0',
      'rs_agent_changes_total{kind="link"} 0',
      'rs_agent_changes_total{kind="address"} 7',
      'rs_agent_changes_total{kind="route"} 0',
      'rs_agent_changes_total{kind="fou"} 0',
      'rs_agent_changes_total{kind="nft"} 0',
      'rs_agent_repair_failures_total 0',
      'rs_agent_flap_backoffs_total 2',
      'rs_agent_protection_fights_total 4',
      'rs_agent_flap_backoff_items 1',
      'rs_agent_unavailable_items 1',
      'rs_agent_reconciles_total{trigger="start"} 0',
      'rs_agent_reconciles_total{trigger="event"} 5',
      'rs_agent_reconciles_total{trigger="sysctl"} 0',
      'rs_agent_reconciles_total{trigger="listener"} 0',
      'rs_agent_reconciles_total{trigger="schedule"} 0',
      'rs_agent_reconciles_total{trigger="reload"} 0',
      'rs_agent_reconciles_total{trigger="backoff"} 0',
      'rs_agent_reconciles_total{trigger="store"} 0',
      'rs_agent_last_reconcile_timestamp_seconds 1893456010.5',
      'rs_agent_last_reconcile_duration_seconds 0.0138',
      'rs_agent_drained 0', // the traffic part (test/traffic/metrics.test.ts): no sample, not drained
    ]);
    // Every metric has its HELP and TYPE, and the file ends with a newline.
    expect(text.match(/^# TYPE rs_agent_\w+ (gauge|counter)$/gm)).toHaveLength(12);
    expect(text.match(/^# HELP /gm)).toHaveLength(12);
    expect(text.endsWith('\n')).toBe(true);
  });

  it("appends the last pass's traffic sample and the drain state after the daemon's own metrics", () => {
    const stats = initialStats(1, new Date(), 'x');
    const traffic = {
      vips: ['192.0.2.10'],
      counted: true,
      ports: [{ vip: '192.0.2.10', port: 443, connections: 2, newConnections: 7 }],
      tunnels: [],
      arpGuardDrops: null,
      rpFilterDrops: 0,
    };
    const text = renderMetrics(stats, traffic, { state: 'drained', since: '2030-01-01T00:00:00Z' });
    expect(text).toMatch(
      /rs_agent_last_reconcile_duration_seconds 0\n# HELP rs_agent_drained [^\n]*\n# TYPE rs_agent_drained gauge\nrs_agent_drained 1\n/,
    );
    expect(text).toContain('rs_agent_vip_new_connections_total{vip="192.0.2.10",port="443"} 7\n');
  });

  it('says not in sync before the first reconcile', () => {
    expect(renderMetrics(initialStats(1, new Date(), 'x'))).toMatch(/^rs_agent_in_sync 0$/m);
  });

  it('writes the rendered metrics under the name, no temp file left behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsa-metrics-'));
    const path = join(dir, 'rs-agent.prom');
    const stats = initialStats(1, new Date(), 'x');
    writeMetrics(path, stats);
    expect(readFileSync(path, 'utf8')).toBe(renderMetrics(stats));
    expect(readdirSync(dir)).toEqual(['rs-agent.prom']);
    expect(() => writeMetrics(join(dir, 'missing', 'x.prom'), stats)).toThrow(
      /cannot write .*missing\/x\.prom: ENOENT/,
    );
    rmSync(dir, { recursive: true });
  });
});
