import { describe, expect, it } from 'vitest';
import { renderTrafficMetrics } from '../../src/traffic/metrics.js';
import type { TrafficSample } from '../../src/traffic/sample.js';

const SAMPLE: TrafficSample = {
  vips: ['192.0.2.10', '2001:db8::10'],
  counted: true,
  ports: [
    { vip: '192.0.2.10', port: 443, connections: 12, newConnections: 340 },
    { vip: '2001:db8::10', port: 443, connections: 0, newConnections: 5 },
  ],
  tunnels: [{ dev: 'tunl0', packets: 40080, errors: 3, dropped: 7 }],
  arpGuardDrops: { requests: 9, replies: 0 },
  rpFilterDrops: 42,
};

const samples = (lines: string[]) => lines.filter((l) => !l.startsWith('#'));

describe('renderTrafficMetrics', () => {
  it('renders every VIP:port, tunnel and counter, and the drain state, each series with HELP and TYPE', () => {
    const lines = renderTrafficMetrics(SAMPLE, { state: 'draining', since: '2030-01-01T00:00:10.000Z' });
    expect(samples(lines)).toEqual([
      'rs_agent_drained 1',
      'rs_agent_drain_started_timestamp_seconds 1893456010',
      'rs_agent_vip_connections{vip="192.0.2.10",port="443"} 12',
      'rs_agent_vip_connections{vip="2001:db8::10",port="443"} 0',
      'rs_agent_vip_counted{vip="192.0.2.10"} 1',
      'rs_agent_vip_counted{vip="2001:db8::10"} 1',
      'rs_agent_vip_new_connections_total{vip="192.0.2.10",port="443"} 340',
      'rs_agent_vip_new_connections_total{vip="2001:db8::10",port="443"} 5',
      'rs_agent_tunnel_receive_packets_total{dev="tunl0"} 40080',
      'rs_agent_tunnel_receive_errors_total{dev="tunl0"} 3',
      'rs_agent_tunnel_receive_dropped_total{dev="tunl0"} 7',
      'rs_agent_arp_guard_drops_total{what="request_for_vip"} 9',
      'rs_agent_arp_guard_drops_total{what="sent_from_vip"} 0',
      'rs_agent_rp_filter_drops_total 42',
    ]);
    expect(lines.filter((l) => l.startsWith('# TYPE')).length).toBe(10);
  });

  it('leaves out what is not there: no drain, nothing counted, no guard, no sample at all', () => {
    const uncounted = { ...SAMPLE, counted: false, ports: [{ ...SAMPLE.ports[0]!, newConnections: null }] };
    const lines = samples(renderTrafficMetrics({ ...uncounted, arpGuardDrops: null, rpFilterDrops: null }, null));
    expect(lines.filter((l) => /counted|new_connections|arp_guard|rp_filter|drain_started/.test(l))).toEqual([]);
    expect(lines).toContain('rs_agent_drained 0');
    expect(samples(renderTrafficMetrics(null, null))).toEqual(['rs_agent_drained 0']);
  });
});
