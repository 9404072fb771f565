import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readDaemonStatus } from '../../src/daemon/status-file.js';
import { inProcessConfig, useInProcessDaemon } from '../helpers/daemon-in-process.js';

// rs-agent run in-process: the real daemon and its trigger sources on fake timers, the
// fake kernel underneath. What needs the real kernel (event delivery, a hung ip, SIGKILL,
// systemd's readiness notice) is in test/kernel/daemon*.test.ts.

const VIP10 = 'address 192.0.2.10/32 dev lo';
const VIP11 = 'address 192.0.2.11/32 dev lo';
const daemon = useInProcessDaemon('rsa-daemon-');
const { tempDir } = daemon;

const config = (extra = '') => inProcessConfig(tempDir(), extra);

const metrics = () => readFileSync(join(tempDir(), 'rs-agent.prom'), 'utf8');

describe('rs-agent run, in-process', () => {
  it('the first pass is a change, not a repair; a VIP deleted afterwards is repaired on the kernel event', async () => {
    const d = await daemon.start(config());
    expect(d.events('change').map((l) => l.item)).toContain(VIP10);
    expect(d.events('change').every((l) => l.trigger === 'start')).toBe(true);
    expect(d.events('repair')).toEqual([]);
    const mark = d.lines.length;
    d.deleteVip('192.0.2.10');
    await d.run(5);
    expect(d.events('repair', mark)).toMatchObject([
      { level: 'info', item: VIP10, kind: 'address', action: 'add', from: 'absent', to: 'present', trigger: 'event' },
    ]);
    expect(d.kernel.render().addresses).toContain('192.0.2.10/32 dev lo label lo:0');
    // The sinks: metrics and the status file say the same.
    expect(metrics()).toMatch(/^rs_agent_repairs_total\{kind="address"\} 1$/m);
    expect(metrics()).toMatch(/^rs_agent_changes_total\{kind="address"\} 2$/m);
    expect(metrics()).toMatch(/^rs_agent_in_sync 1$/m);
    expect(readDaemonStatus(d.opts.stateDir)).toMatchObject({
      running: true,
      repairs: { address: 1 },
      changes: { address: 2 },
      reconciles: { start: 1, event: 1 },
    });
  });

  it('a reset ARP sysctl is found by the re-read within its interval and repaired', async () => {
    const d = await daemon.start(config());
    const mark = d.lines.length;
    d.kernel.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '0');
    await d.run(99);
    expect(d.events('repair', mark)).toEqual([]);
    await d.run(5); // the re-read at 100 ms, then the debounce
    expect(d.events('repair', mark)).toMatchObject([
      { item: 'sysctl net.ipv4.conf.eth0.arp_ignore', from: '0', to: '1', trigger: 'sysctl' },
    ]);
  });

  it('a monitor child that dies is restarted after a second, and the restart asks for a pass', async () => {
    const d = await daemon.start(config());
    d.monitors.end('ip', 'signal SIGKILL');
    const lo = d.kernel.links.get('lo');
    lo?.addresses.splice(
      lo.addresses.findIndex((a) => a.local === '192.0.2.11'),
      1,
    ); // while no one watches
    expect(d.events('monitor-ended')).toMatchObject([
      {
        level: 'error',
        message: 'ip monitor address route link ended: signal SIGKILL; restarting it in 1 s',
      },
    ]);
    const mark = d.lines.length;
    await d.run(999);
    expect(d.events('repair', mark)).toEqual([]);
    await d.run(5);
    expect(d.monitors.live('ip').argv).toEqual(['ip', 'monitor', 'address', 'route', 'link']);
    expect(d.events('repair', mark)).toMatchObject([{ item: VIP11, trigger: 'event' }]);
  });

  it('a monitor child that cannot run is said so once, retried with a growing delay; the re-reads still repair', async () => {
    const d = await daemon.start(config());
    // As under a unit whose seccomp filter refuses capset(2) to setpriv: every start ends so.
    const refused = 'setpriv: activate capabilities: Operation not permitted (exit status 127)';
    const starts = () => d.monitors.children.filter((c) => c.argv[0] === 'ip').length;
    const delays: number[] = [];
    for (let end = 1; end <= 9; end++) {
      d.monitors.end('ip', refused);
      const before = starts();
      let waited = 0;
      while (starts() === before) {
        await d.run(500);
        waited += 500;
      }
      delays.push(waited / 1000);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(d.events('monitor-ended')).toMatchObject([
      { level: 'error', message: `ip monitor address route link ended: ${refused}; restarting it in 1 s` },
    ]);
    expect(d.events('monitor-failing')).toMatchObject([
      {
        level: 'error',
        message: expect.stringMatching(/^ip monitor address route link ended the same way again within 10 s/),
      },
    ]);
    // Meanwhile a reset ARP sysctl is found by the re-read and repaired.
    await d.run(1000); // the pass the last restart asked for
    const mark = d.lines.length;
    d.kernel.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '0');
    await d.run(105);
    expect(d.events('repair', mark)).toMatchObject([
      { item: 'sysctl net.ipv4.conf.eth0.arp_ignore', trigger: 'sysctl' },
    ]);
    // Once a child runs, that is said, and a later end is news again.
    expect(d.events('monitor-running')).toEqual([]);
    await d.run(9000);
    expect(d.events('monitor-running')).toMatchObject([
      { level: 'info', message: 'ip monitor address route link runs again, after 9 ends in a row' },
    ]);
    d.monitors.end('ip', refused);
    expect(d.events('monitor-ended')).toHaveLength(2);
    expect(d.events('monitor-failing')).toHaveLength(1);
  });

  it('a configured NIC that vanishes: logged once, the rest still repaired; when it returns it is set up at once', async () => {
    const d = await daemon.start(config().replace('interfaces: [eth0]', 'interfaces: [eth0, eth1]'), (kernel) =>
      kernel.addLink('eth1'),
    );
    d.kernel.links.delete('eth1');
    for (const key of ['arp_ignore', 'arp_announce', 'rp_filter']) d.kernel.sysctls.delete(`net/ipv4/conf/eth1/${key}`);
    d.monitors.print('ip', 'Deleted 3: eth1: <BROADCAST,MULTICAST> mtu 1500\n');
    await d.run(5);
    expect(d.events('unavailable')).toMatchObject([
      { level: 'error', message: expect.stringMatching(/interfaces\[1\]: "eth1": no such network interface/) },
    ]);
    d.deleteVip('192.0.2.10');
    await d.run(5);
    expect(d.events('repair').map((l) => l.item)).toEqual([VIP10]);
    expect(d.events('unavailable')).toHaveLength(1); // not once per pass
    d.kernel.addLink('eth1');
    d.monitors.print('ip', '3: eth1: <BROADCAST,MULTICAST,UP> mtu 1500\n');
    await d.run(5);
    expect(d.events('available')).toHaveLength(1);
    expect(d.kernel.sysctls.get('net/ipv4/conf/eth1/arp_ignore')).toBe('1');
  });

  it('an internal error is reported to run.ts (which exits 70); the daemon never exits the process itself', async () => {
    const d = await daemon.start(config());
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const run = d.kernel.run.bind(d.kernel);
    d.kernel.run = async () => {
      throw new TypeError('boom');
    };
    d.deleteVip('192.0.2.10');
    await d.run(5);
    expect(d.internalErrors).toHaveLength(1);
    expect(String(d.internalErrors[0])).toBe('TypeError: boom');
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
    d.kernel.run = run;
  });

  it('every timer it runs is on the scheduler or the cron task: once stopped, none is left', async () => {
    const d = await daemon.start(config());
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await d.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('collects its garbage once, 2 s after the last pass of a burst, when node gives it gc()', async () => {
    const gc = vi.fn();
    vi.stubGlobal('gc', gc);
    try {
      const d = await daemon.start(config());
      await d.run(2_000);
      expect(gc).toHaveBeenCalledTimes(1); // after the first pass
      d.deleteVip('192.0.2.10');
      await d.run(1_000);
      d.deleteVip('192.0.2.11');
      await d.run(1_990); // 2 s after the first repair, but not after the second
      expect(d.events('repair')).toHaveLength(2);
      expect(gc).toHaveBeenCalledTimes(1);
      await d.run(20);
      expect(gc).toHaveBeenCalledTimes(2);
      await d.run(60_000); // quiet: nothing more to collect
      expect(gc).toHaveBeenCalledTimes(2);
      await d.stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
