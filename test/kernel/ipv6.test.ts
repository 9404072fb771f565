import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// IPv6 VIPs with the real CLI against the real kernel, each test in its own namespace.

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

interface V6Address {
  local: string;
  prefixlen: number;
  nodad?: boolean;
  deprecated?: boolean;
  noprefixroute?: boolean;
  preferred_life_time?: number;
}

async function v6Addresses(dev: string): Promise<V6Address[]> {
  const links = JSON.parse(await ns.ip(['-json', '-6', 'addr', 'show', 'dev', dev])) as {
    addr_info: (V6Address & { scope: string })[];
  }[];
  return (links[0]?.addr_info ?? []).filter((a) => a.scope === 'global');
}

async function v6Routes(): Promise<string[]> {
  const routes = JSON.parse(await ns.ip(['-json', '-6', 'route', 'show', 'table', 'main'])) as {
    dst: string;
    dev: string;
    metric: number;
  }[];
  return routes.filter((r) => r.dst.startsWith('2001:db8:')).map((r) => `${r.dst} dev ${r.dev} metric ${r.metric}`);
}

describe('IPv6 DR on the real kernel', () => {
  it('start puts the v6 VIP on lo deprecated (never a source address), without DAD, with exactly one host route', async () => {
    ns.writeConfig('vips: [192.0.2.10, "2001:db8::10"]\ninterfaces: [eth0]\n');
    const first = await ns.cli(['start']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(await v6Addresses('lo')).toEqual([
      expect.objectContaining({
        local: '2001:db8::10',
        prefixlen: 128,
        nodad: true,
        deprecated: true,
        noprefixroute: true,
        preferred_life_time: 0,
      }),
    ]);
    // Only rs-agent's route (metric 1024): no kernel prefix route (metric 256) beside it.
    expect(await v6Routes()).toEqual(['2001:db8::10 dev lo metric 1024']);
    expect(await ns.cli(['start'])).toEqual({ exitCode: 0, stdout: 'in sync: nothing to change', stderr: '' });
    expect((await ns.cli(['check'])).exitCode).toBe(0);
  });

  it('check finds a deleted v6 VIP, --fix restores it, stop removes exactly what start added', async () => {
    ns.writeConfig('vips: [192.0.2.10, "2001:db8::10"]\ninterfaces: [eth0]\n');
    await ns.ip(['-6', 'addr', 'add', '2001:db8::99/128', 'dev', 'lo']); // someone else's
    const before = await ns.sysctl('net/ipv4/conf/all/arp_ignore');
    await ns.cli(['start']);
    await ns.ip(['-6', 'addr', 'del', '2001:db8::10/128', 'dev', 'lo']);
    const drift = await ns.cli(['check']);
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout).toBe('drift: address 2001:db8::10/128 dev lo: missing');
    expect((await ns.cli(['check', '--fix'])).exitCode).toBe(0);
    expect((await v6Addresses('lo')).map((a) => a.local)).toContain('2001:db8::10');
    const stop = await ns.cli(['stop']);
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout.split('\n').slice(0, 4)).toEqual([
      '- route 192.0.2.10/32 dev lo',
      '- route 2001:db8::10/128 dev lo',
      '- address 192.0.2.10/32 dev lo',
      '- address 2001:db8::10/128 dev lo',
    ]);
    expect((await v6Addresses('lo')).map((a) => a.local)).toEqual(['2001:db8::99']);
    expect(await v6Routes()).toEqual(['2001:db8::99 dev lo metric 256']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe(before);
  });

  it('a v6-only config changes no sysctl: ARP does not exist for IPv6', async () => {
    ns.writeConfig('vips: ["2001:db8::10", "2001:db8::11"]\n');
    const plan = await ns.cli(['plan']);
    expect(plan.stdout.split('\n')).toEqual([
      '+ nft table inet rs_agent_traffic: absent → counting SYNs to { 2001:db8::10, 2001:db8::11 }',
      '+ address 2001:db8::10/128 dev lo',
      '+ address 2001:db8::11/128 dev lo',
      '+ route 2001:db8::10/128 dev lo',
      '+ route 2001:db8::11/128 dev lo',
    ]);
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0');
    const status = await ns.cli(['status']);
    expect(status.stdout).toMatch(/2001:db8::11\s+dr\s+on lo\s+address ok\s+route ok\s+added by rs-agent/);
  });
});

describe('IPv6 VIP address flags on the real kernel', () => {
  const deprecatedVip = expect.objectContaining({
    local: '2001:db8::10',
    deprecated: true,
    noprefixroute: true,
    preferred_life_time: 0,
  });

  it('a VIP re-added without preferred_lft 0 is drift; --fix makes it deprecated in place', async () => {
    ns.writeConfig('vips: ["2001:db8::10"]\n');
    expect((await ns.cli(['start'])).exitCode).toBe(0);
    await ns.ip(['-6', 'addr', 'del', '2001:db8::10/128', 'dev', 'lo']);
    await ns.ip(['-6', 'addr', 'add', '2001:db8::10/128', 'dev', 'lo', 'nodad']);
    // The kernel's own prefix route (metric 256) is back beside rs-agent's, which survived the del.
    expect(await v6Routes()).toEqual(['2001:db8::10 dev lo metric 256', '2001:db8::10 dev lo metric 1024']);
    expect(await ns.cli(['check'])).toEqual({
      exitCode: 1,
      stdout: 'drift: address 2001:db8::10/128 dev lo: preferred prefixroute → deprecated noprefixroute',
      stderr: '',
    });
    const fix = await ns.cli(['check', '--fix']);
    expect(fix.stderr).toBe('');
    expect(fix.exitCode).toBe(0);
    expect(await v6Addresses('lo')).toEqual([deprecatedVip]);
    expect(await v6Routes()).toEqual(['2001:db8::10 dev lo metric 1024']);
    expect(await ns.cli(['check'])).toEqual({ exitCode: 0, stdout: 'in sync', stderr: '' });
  });

  it("a preferred VIP the operator put on lo before start is made deprecated; stop leaves it (not rs-agent's)", async () => {
    ns.writeConfig('vips: ["2001:db8::10"]\n');
    await ns.ip(['-6', 'addr', 'add', '2001:db8::10/128', 'dev', 'lo']);
    const start = await ns.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expect(start.stdout.split('\n').slice(0, 3)).toEqual([
      '+ nft table inet rs_agent_traffic: absent → counting SYNs to { 2001:db8::10 }',
      '~ address 2001:db8::10/128 dev lo: preferred prefixroute → deprecated noprefixroute',
      '+ route 2001:db8::10/128 dev lo',
    ]);
    expect(await v6Addresses('lo')).toEqual([deprecatedVip]);
    expect(await v6Routes()).toEqual(['2001:db8::10 dev lo metric 1024']);
    expect((await ns.cli(['check'])).exitCode).toBe(0);
    const stop = await ns.cli(['stop']);
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout.split('\n')[0]).toBe('- route 2001:db8::10/128 dev lo');
    expect(await v6Addresses('lo')).toEqual([deprecatedVip]);
    expect(await v6Routes()).toEqual([]);
  });
});

describe('IPv6 TUN on the real kernel without ip6_tunnel (modprobe stubbed: nothing is loaded for the host)', () => {
  const noModules = () => ns.stubCommand('modprobe', 'echo "modprobe: FATAL: Module $1 not found" >&2; exit 1');

  // Which links exist and which are administratively up: what start could change.
  // (Not `ip link` as text: a fresh veth's operstate and carrier settle on their own.)
  async function links(): Promise<string[]> {
    const all = JSON.parse(await ns.ip(['-json', 'link'])) as { ifname: string; flags: string[] }[];
    return all.map((l) => `${l.ifname} ${l.flags.includes('UP') ? 'up' : 'down'}`);
  }

  async function expectUntouched(yaml: string, message: RegExp) {
    ns.writeConfig(yaml);
    const before = {
      lo: await v6Addresses('lo'),
      links: await links(),
      arp: await ns.sysctl('net/ipv4/conf/all/arp_ignore'),
    };
    const result = await ns.cli(['start'], noModules());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect({
      lo: await v6Addresses('lo'),
      links: await links(),
      arp: await ns.sysctl('net/ipv4/conf/all/arp_ignore'),
    }).toEqual(before);
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  }

  it('the fallback ip6tnl0 needs ip6_tunnel: one line, nothing changed', async () => {
    await expectUntouched(
      'mode: tun\nvips: ["2001:db8::10"]\n',
      /^rs-agent: kernel module ip6_tunnel is not available \(.*\); nothing was changed$/,
    );
  });

  it('a named tunnel that does not exist', async () => {
    await expectUntouched(
      'mode: tun\nvips: ["2001:db8::10"]\ntunnel: {ipv6: tun6}\n',
      /^rs-agent: not in place: .*tunnel\.ipv6: "tun6": no such device; .*ip link add tun6 type ip6tnl external/,
    );
  });

  it('a named tunnel that is not a tunnel', async () => {
    await expectUntouched(
      'mode: tun\nvips: ["2001:db8::10"]\ntunnel: {ipv6: eth0-peer}\n',
      /tunnel\.ipv6: "eth0-peer": is a device of type ether, not an ip6tnl tunnel/,
    );
  });

  it('dual stack with a v6 TUN VIP and no ip6_tunnel: the IPv4 VIP is put in place with its ARP protection; the v6 one is named', async () => {
    ns.writeConfig('vips: [192.0.2.10, {address: "2001:db8::10", mode: tun}]\n');
    const result = await ns.cli(['start'], noModules());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/kernel module ip6_tunnel is not available/);
    expect(result.stderr).toMatch(/not attempted: .*ip6_tunnel failed first/);
    expect((await ns.addresses('lo')).map((a) => a.local)).toContain('192.0.2.10');
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');
    expect((await ns.cli(['stop'], noModules())).exitCode).toBe(0);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1']);
  });
});
