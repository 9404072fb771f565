import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipPeer } from '../helpers/vip-peer.js';

// Traffic truth on the real kernel: `rs-agent start` loads table inet rs_agent_traffic,
// real TCP connections from the client's namespace reach the VIPs, and `status --json`
// reads the SYNs it counted per VIP:port (nft -j) and the connections open now
// (/proc/net/tcp, tcp6 for the IPv4 clients of a dual-stack listener).

const VIP = '192.0.2.100';
const OTHER = '192.0.2.101';

let peer: VipPeer;
beforeEach(async () => {
  peer = await VipPeer.create([VIP, OTHER]);
  peer.ns.writeConfig(`vips: [${VIP}, ${OTHER}]\ninterfaces: [eth0]\n`);
  await peer.serve(8080);
  await peer.serve(8443);
});
afterEach(async () => {
  await peer.destroy();
});

interface Port {
  vip: string;
  port: number;
  connections: number;
  newConnections: number | null;
}
const traffic = async () => {
  const r = await peer.ns.cli(['status', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { traffic: { counted: boolean; ports: Port[]; rpFilterDrops: number | null } })
    .traffic;
};

describe('traffic on the real kernel', () => {
  it('counts new connections per VIP:port and the ones still open; closed ones leave their count', async () => {
    const start = await peer.ns.cli(['start']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(start.stdout).toContain(
      '+ nft table inet rs_agent_traffic: absent → counting SYNs to { 192.0.2.100, 192.0.2.101 }',
    );
    expect(await traffic()).toMatchObject({ counted: true, ports: [] });

    const a = await peer.hold(VIP, 8080, 3);
    const b = await peer.hold(VIP, 8443, 1);
    const c = await peer.hold(OTHER, 8080, 2);
    expect((await traffic()).ports).toEqual([
      { vip: VIP, port: 8080, connections: 3, newConnections: 3 },
      { vip: VIP, port: 8443, connections: 1, newConnections: 1 },
      { vip: OTHER, port: 8080, connections: 2, newConnections: 2 },
    ]);
    await a.close();
    await b.close();
    await c.close();
    expect((await traffic()).ports).toEqual([
      { vip: VIP, port: 8080, connections: 0, newConnections: 3 },
      { vip: VIP, port: 8443, connections: 0, newConnections: 1 },
      { vip: OTHER, port: 8080, connections: 0, newConnections: 2 },
    ]);
    // A second start finds the table as it loaded it: counting goes on.
    expect((await peer.ns.cli(['start'])).stdout).toBe('in sync: nothing to change');
    expect((await traffic()).ports.map((p) => p.newConnections)).toEqual([3, 1, 2]);
  });

  it('a flushed table counts nothing: status says so instead of showing stale counts, and check --fix reloads it', async () => {
    await peer.ns.cli(['start']);
    await peer.ns.exec(['nft', 'flush', 'table', 'inet', 'rs_agent_traffic']);
    const flushed = await traffic();
    expect(flushed.counted).toBe(false);
    const r = await peer.ns.cli(['status']);
    expect(r.stdout).toContain(
      'new connections not counted: table inet rs_agent_traffic is flushed (rs-agent check --fix reloads it)',
    );
    expect((await peer.ns.cli(['check'])).exitCode).toBe(1);
    expect((await peer.ns.cli(['check', '--fix'])).exitCode).toBe(0);
    const held = await peer.hold(VIP, 8080, 2);
    expect((await traffic()).ports).toEqual([{ vip: VIP, port: 8080, connections: 2, newConnections: 2 }]);
    await held.close();
  });

  it('stop removes the table with the VIPs', async () => {
    await peer.ns.cli(['start']);
    const stop = await peer.ns.cli(['stop']);
    expect(stop.stdout).toContain('- nft table inet rs_agent_traffic');
    const tables = await execa('ip', ['netns', 'exec', peer.ns.name, 'nft', 'list', 'tables']);
    expect(tables.stdout).not.toContain('rs_agent_traffic');
  });
});
