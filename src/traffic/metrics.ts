import type { TrafficSample } from './sample.js';

// The traffic sample and the drain state in the Prometheus text format, appended to the
// daemon's metrics file (daemon/metrics.ts). Counters start again from 0 when what holds
// them starts again (the traffic table reloaded, a device recreated): rate() and
// increase() take that as a reset.

export interface DrainMetric {
  state: 'draining' | 'drained';
  since: string | null; // ISO time the drain was set; null: its record is unreadable
}

export function renderTrafficMetrics(sample: TrafficSample | null, drain: DrainMetric | null): string[] {
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    if (samples.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  metric('rs_agent_drained', 'gauge', '1 while a drain is set (rs-agent drain; undrain clears it), else 0.', [
    ['', drain ? 1 : 0],
  ]);
  if (drain?.since)
    metric('rs_agent_drain_started_timestamp_seconds', 'gauge', 'When the drain in force was set (Unix time).', [
      ['', Math.floor(Date.parse(drain.since) / 1000)],
    ]);
  if (sample === null) return out;
  const vipPort = (p: { vip: string; port: number }) => `{vip="${label(p.vip)}",port="${p.port}"}`;
  metric(
    'rs_agent_vip_connections',
    'gauge',
    'TCP connections to a VIP:port still open (established, or closing with data in flight).',
    sample.ports.map((p) => [vipPort(p), p.connections]),
  );
  metric(
    'rs_agent_vip_counted',
    'gauge',
    '1 for each VIP whose new connections are counted (table inet rs_agent_traffic in place).',
    sample.counted ? sample.vips.map((vip) => [`{vip="${label(vip)}"}`, 1]) : [],
  );
  metric(
    'rs_agent_vip_new_connections_total',
    'counter',
    'SYNs to a VIP:port that reached this host (from 0 whenever the table is reloaded).',
    sample.ports.flatMap((p) => (p.newConnections === null ? [] : [[vipPort(p), p.newConnections]])),
  );
  const dev = (d: { dev: string }) => `{dev="${label(d.dev)}"}`;
  metric(
    'rs_agent_tunnel_receive_packets_total',
    'counter',
    'Packets a tunnel device holding TUN VIPs received.',
    sample.tunnels.map((t) => [dev(t), t.packets]),
  );
  metric(
    'rs_agent_tunnel_receive_errors_total',
    'counter',
    'Receive errors of a tunnel device holding TUN VIPs.',
    sample.tunnels.map((t) => [dev(t), t.errors]),
  );
  metric(
    'rs_agent_tunnel_receive_dropped_total',
    'counter',
    'Received packets a tunnel device holding TUN VIPs dropped.',
    sample.tunnels.map((t) => [dev(t), t.dropped]),
  );
  const guard = sample.arpGuardDrops;
  metric(
    'rs_agent_arp_guard_drops_total',
    'counter',
    'ARP packets the ARP guard dropped: requests asking for a VIP, and packets the host would have sent from a VIP.',
    guard
      ? [
          ['{what="request_for_vip"}', guard.requests],
          ['{what="sent_from_vip"}', guard.replies],
        ]
      : [],
  );
  metric(
    'rs_agent_rp_filter_drops_total',
    'counter',
    "Packets the kernel's reverse-path filter dropped in this network namespace (TcpExt IPReversePathFilter).",
    sample.rpFilterDrops === null ? [] : [['', sample.rpFilterDrops]],
  );
  return out;
}

// A label value as the exposition format wants it: backslash, quote and newline escaped.
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
