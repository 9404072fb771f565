// End to end under a real systemd as PID 1: the VM boots systemd (vm/prepare-systemd.sh), and
// guest/systemd-units.sh installs rs-agent the npm way (`rs-agent install`), enables
// rs-agent.service and rs-agent-watch.service, and drives them only through systemctl while
// something undoes their work. One boot for the whole scenario; this file judges what it saw.
// See README.md in this directory.
import { beforeAll, describe, expect, it } from 'vitest';
import { runUnderSystemd, step, type Step, type SystemdRun } from './systemd-run.js';

const VIP4 = '192.0.2.10/32';
const VIP4_ADDED = '192.0.2.11/32';
const VIP4_TUN = '198.51.100.7/32';
const VIP6 = '2001:db8::10/128';
const VIP6_TUN = '2001:db8::20/128';
const ALL_VIPS = [VIP4, VIP4_ADDED, VIP4_TUN, VIP6, VIP6_TUN];

interface IpAddr { family: string; local: string; prefixlen: number }
type IpDev = [{ ifname: string; flags: string[]; addr_info: IpAddr[] }] | null;
interface State extends Step {
  lo: IpDev;
  tunl0: IpDev;
  ip6tnl0: IpDev;
  sysctls: Record<string, number>;
  modules: string[];
  units: Record<string, string>; // unit → "ActiveState/SubState"
}
interface Timed extends Step { seconds: number }

let run: SystemdRun;

beforeAll(async () => {
  // Generous: under TCG the run's length is the host's CPU load times the emulated work.
  run = await runUnderSystemd('systemd-units.sh', 20 * 60);
  const boot = step<Step & { multi_user_us: number; userspace_us: number }>(run, 'boot');
  console.log(`systemd e2e VM run: ${run.seconds.toFixed(0)} s; multi-user.target at ${(boot.multi_user_us / 1e6).toFixed(1)} s, ` +
    `scenario started at ${boot.t.toFixed(1)} s of VM uptime; steps: ` +
    run.steps.map((s) => `${s.step}@${s.t.toFixed(0)}`).join(' ') + `; console: ${run.consoleLog}`);
}, 25 * 60_000);

const state = (name: string) => step<State>(run, name);
function addrs(dev: IpDev): string[] {
  return (dev?.[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}
function isUp(dev: IpDev): boolean {
  return dev?.[0]?.flags.includes('UP') ?? false;
}
function active(s: State, unit: string): string {
  return s.units[unit] ?? '';
}
// Every VIP where it belongs, every ARP/rp_filter sysctl rs-agent sets at its value.
function expectInPlace(s: State, extra: string[] = []): void {
  expect(addrs(s.lo), `${s.step}: VIPs on lo`).toEqual(expect.arrayContaining([VIP4, VIP6, ...extra]));
  expect(addrs(s.tunl0), `${s.step}: VIP on tunl0`).toContain(VIP4_TUN);
  expect(isUp(s.tunl0), `${s.step}: tunl0 up`).toBe(true);
  expect(addrs(s.ip6tnl0), `${s.step}: VIP on ip6tnl0`).toContain(VIP6_TUN);
  expect(isUp(s.ip6tnl0), `${s.step}: ip6tnl0 up`).toBe(true);
  expect(s.sysctls, `${s.step}: sysctls`).toMatchObject({
    'all.arp_ignore': 1, 'all.arp_announce': 2, 'lo.arp_ignore': 1, 'lo.arp_announce': 2,
    'default.arp_ignore': 1, 'default.arp_announce': 2,
    'all.rp_filter': 0, 'tunl0.rp_filter': 0, 'tunl0.arp_ignore': 1, 'tunl0.arp_announce': 2,
  });
}
function expectNoVips(s: State): void {
  const left = [...addrs(s.lo), ...addrs(s.tunl0), ...addrs(s.ip6tnl0)].filter((a) => ALL_VIPS.includes(a));
  expect(left, `${s.step}: VIPs left`).toEqual([]);
}

describe('rs-agent under systemd as PID 1', () => {
  it('boots to the scenario with nothing failed', () => {
    const boot = step<Step & { failed: string; multi_user_us: number }>(run, 'boot');
    expect(boot.failed.trim(), 'systemctl --failed').toBe('');
    expect(boot.multi_user_us).toBeGreaterThan(0);
  });

  it('installs the npm way and starts both units', () => {
    const i = step<Step & Record<string, string | number>>(run, 'install');
    expect(i.install_exit, String(i.install_output)).toBe(0);
    expect(i.enable_exit, String(i.enable_output)).toBe(0);
    expect(i.dropin).toMatch(/^net\.ipv4\.conf\.all\.arp_ignore ?= ?1$/m);
    expect(i.modules_load).toMatch(/^ipip$/m);
    expect(i.modules_load).toMatch(/^ip6_tunnel$/m);
  });

  it('a: every VIP, sysctl and unit in place', () => {
    const s = state('ready');
    expectInPlace(s);
    expect(active(s, 'rs-agent.service')).toBe('active/exited');
    expect(active(s, 'rs-agent-watch.service')).toBe('active/running');
    // The drift steps below must start from a host without the VIPs.
    expectNoVips(state('before'));
  });

  describe('b: drift repaired by the watcher through its hardened unit', () => {
    for (const name of ['drift-vip', 'drift-sysctl', 'drift-link']) {
      it(name, () => {
        const s = step<Timed>(run, name);
        // -1: not repaired within the 15 s the scenario waits (a bound for a loaded TCG host;
        // the figures are in README.md).
        expect(s.seconds, `${name}: not repaired within 15 s`).toBeGreaterThanOrEqual(0);
      });
    }

    it('rmmod ipip: the watcher loads it again (modprobe under its syscall filter) and tunl0 gets its VIP back', () => {
      const s = step<State & Timed & { tunl0_gone: number; journal: string }>(run, 'drift-module');
      expect(s.tunl0_gone, 'rmmod ipip removed tunl0').toBe(1);
      expect(s.seconds, `not repaired within 20 s; journal:\n${s.journal}`).toBeGreaterThanOrEqual(0);
      expect(s.modules).toContain('ipip');
      expectInPlace(s);
      expect(s.journal).not.toMatch(/Operation not permitted|EPERM/);
      expect(active(s, 'rs-agent-watch.service')).toBe('active/running');
    });
  });

  it('c: restarting systemd-sysctl undoes nothing (the drop-in agrees)', () => {
    const s = step<Step & { before: Record<string, number>; after: Record<string, number>; restart_result: string }>(run, 'sysctl-restart');
    expect(s.restart_result).toBe('success');
    expect(s.after).toEqual(s.before);
    const later = step<State & { journal: string }>(run, 'sysctl-restart-later');
    expectInPlace(later);
    expect(later.journal, 'the watcher had nothing to repair').not.toMatch(/"event":"repair"/);
  });

  it('d: reload takes a new config; a broken one is rejected and the old one kept', () => {
    const r = step<State & Timed & { reload_exit: number }>(run, 'reload');
    expect(r.reload_exit).toBe(0);
    expect(r.seconds, 'the added VIP never appeared').toBeGreaterThanOrEqual(0);
    expectInPlace(r, [VIP4_ADDED]);
    const b = step<State & { reload_exit: number; journal: string }>(run, 'reload-broken');
    expect(b.journal).toMatch(/not-an-address/);
    expect(active(b, 'rs-agent-watch.service')).toBe('active/running');
    expectInPlace(b, [VIP4_ADDED]);
  });

  it('e: rs-agent-check.service repairs everything check --fix needs, module included', () => {
    const drift = state('check-drift');
    expect(addrs(drift.lo), 'the drift was real').not.toContain(VIP4);
    expect(drift.modules).not.toContain('ipip');
    expect(drift.sysctls['lo.arp_announce']).toBe(0);
    expect(active(drift, 'rs-agent-watch.service')).toBe('inactive/dead');
    const c = step<State & { start_exit: number; result: string; status: string; journal: string }>(run, 'check');
    expect(c.start_exit, c.journal).toBe(0);
    expect(c.result).toBe('success');
    expect(c.status).toBe('0');
    expectInPlace(c, [VIP4_ADDED]);
    const t = step<Step & { timer_exit: number; triggers: string; next_us: string }>(run, 'check-timer');
    expect(t.timer_exit).toBe(0);
    expect(t.triggers).toBe('rs-agent-check.service');
    expect(active(state('watch-again'), 'rs-agent-watch.service')).toBe('active/running');
  });

  it('f: the metrics file is written under ProtectSystem=strict', () => {
    const m = step<Step & { exists: boolean; content: string }>(run, 'metrics');
    expect(m.exists, m.content).toBe(true);
    expect(m.content).toMatch(/^rs_agent_in_sync 1$/m);
  });

  // PLACE FOR THE ARP GUARD CHECKS (nftables `table arp rs_agent`): the scenario's "arp-guard"
  // step reports `nft -j list table arp rs_agent`; assert there that the guard is present and
  // that a flushed guard is repaired, once rs-agent keeps the table.

  it('g: stop stops the watcher first, removes the VIPs, restores the originals; nothing puts them back', () => {
    const s = step<State & { stop_exit: number; stop_output: string; watch_inactive_us: number; agent_deactivating_us: number }>(run, 'stop');
    expect(s.stop_exit, s.stop_output).toBe(0);
    expect(s.watch_inactive_us, 'the watcher was stopped').toBeGreaterThan(0);
    expect(s.watch_inactive_us, 'the watcher stopped before rs-agent stop ran').toBeLessThanOrEqual(s.agent_deactivating_us);
    const before = state('before').sysctls;
    const original = (k: string) => before[k];
    for (const later of [s, step<State & { check_after_exit: number }>(run, 'stopped-later')]) {
      expectNoVips(later);
      for (const k of ['all.arp_ignore', 'all.arp_announce', 'lo.arp_ignore', 'lo.arp_announce', 'default.arp_ignore', 'default.arp_announce', 'all.rp_filter']) {
        expect(later.sysctls[k], `${later.step}: ${k} restored`).toBe(original(k));
      }
      expect(active(later, 'rs-agent-watch.service')).toBe('inactive/dead');
      expect(active(later, 'rs-agent.service')).toBe('inactive/dead');
    }
    // rs-agent-check.service is Requisite= rs-agent.service: it refuses to start.
    expect(step<Step & { check_after_exit: number }>(run, 'stopped-later').check_after_exit).not.toBe(0);
  });
});
