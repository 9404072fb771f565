import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NftWatch } from '../../src/daemon/nft-watch.js';
import { guardInForce, type RanChange } from '../../src/daemon/pass-result.js';
import { sysctlReread } from '../../src/daemon/triggers/sysctl-reread.js';
import type { NftChange } from '../../src/objects/nft-table.js';
import type { ActualNftTable } from '../../src/observe/types.js';
import { createSysctlFs } from '../../src/system/sysctl-fs.js';
import { useInProcessDaemon, type InProcess } from '../helpers/daemon-in-process.js';
import { passResultWith, recordingContext } from '../helpers/trigger-context.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sysctl re-read on real files', () => {
  it('re-reads each file through a reader kept open and asks for a pass on the first difference', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const root = mkdtempSync(join(tmpdir(), 'rsa-watch-'));
    mkdirSync(join(root, 'net/ipv4/conf/eth0'), { recursive: true });
    const file = join(root, 'net/ipv4/conf/eth0/arp_ignore');
    writeFileSync(file, '1\n');
    const { ctx, requests } = recordingContext();
    const reread = sysctlReread(createSysctlFs(root), { ms: 100, guardedMs: 1000 });
    reread.start(ctx);
    const sysctls = { 'net/ipv4/conf/eth0/arp_ignore': '1', 'net/ipv4/conf/gone/arp_ignore': null };
    reread.afterPass?.(passResultWith({ sysctls }), {} as never);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(requests).toEqual([]);
    writeFileSync(file, '0\n'); // rewritten in place, as /proc/sys files are
    await vi.advanceTimersByTimeAsync(101);
    // An ARP sysctl reset: protection is gone, the pass is urgent.
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: true }]);
    // The next pass found the file at 0 (and, here, left it): that is the value kept now.
    reread.afterPass?.(passResultWith({ sysctls: { 'net/ipv4/conf/eth0/arp_ignore': '0' } }), {} as never);
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toHaveLength(1);
    reread.stop();
    rmSync(root, { recursive: true, force: true });
  });
});

const GUARD = 'arp rs_agent';
const intact = (holds = ['192.0.2.10']): ActualNftTable => ({ available: true, table: { state: 'intact', holds } });
const altered: ActualNftTable = { available: true, table: { state: 'altered', holds: [] } };
const guardChange = (action: 'load' | 'delete'): NftChange => ({
  kind: 'nft',
  action,
  target: `table ${GUARD}`,
  table: GUARD,
  from: 'altered',
  to: action === 'load' ? 'vips4 { 192.0.2.10 }' : 'absent',
  holds: action === 'load' ? ['192.0.2.10'] : [],
  ruleset: '',
  safety: { provides: [], needs: [] },
});
const ran = (change: NftChange, status: RanChange['status']): RanChange => ({ change, status, repair: true });

describe('the re-read compares with what the pass left, not with what it reads after', () => {
  const IGNORE = 'net/ipv4/conf/eth0/arp_ignore';
  const set = (from: string, to: string): RanChange => ({
    change: {
      kind: 'sysctl',
      action: 'set',
      path: IGNORE,
      target: `sysctl ${IGNORE}`,
      from,
      to,
      safety: { provides: [], needs: [] },
    } as never,
    status: 'applied',
    repair: true,
  });
  function setup(value: string) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const { ctx, requests } = recordingContext();
    const host = { value };
    const reread = sysctlReread({ read: () => host.value, write: () => {} }, { ms: 100, guardedMs: 1000 });
    reread.start(ctx);
    return { reread, requests, host };
  }

  it('a reset made while the pass ran, after it read the file, asks for an urgent pass at the first re-read', async () => {
    // The pass found 1 and changed nothing; the file was reset to 0 before the pass ended.
    const { reread, requests } = setup('0');
    reread.afterPass?.(passResultWith({ sysctls: { [IGNORE]: '1' } }), {} as never);
    await vi.advanceTimersByTimeAsync(100);
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: true }]);
    reread.stop();
  });

  it('a value the pass wrote is the one kept: no pass asked for while the file holds it', async () => {
    const { reread, requests, host } = setup('1');
    reread.afterPass?.(passResultWith({ sysctls: { [IGNORE]: '0' }, ran: [set('0', '1')] }), {} as never);
    await vi.advanceTimersByTimeAsync(1000);
    expect(requests).toEqual([]);
    host.value = '0';
    await vi.advanceTimersByTimeAsync(100);
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: true }]);
    reread.stop();
  });
});

describe('guardInForce: whether a pass left the ARP guard in force', () => {
  it.each([
    ['found as planned, nothing to change', passResultWith({ nft: { [GUARD]: intact() } }), true],
    [
      'found altered and loaded again',
      passResultWith({
        nft: { [GUARD]: altered },
        changes: [guardChange('load')],
        ran: [ran(guardChange('load'), 'applied')],
      }),
      true,
    ],
    [
      'its load failed',
      passResultWith({
        nft: { [GUARD]: altered },
        changes: [guardChange('load')],
        ran: [ran(guardChange('load'), 'failed')],
      }),
      false,
    ],
    [
      'its load planned but held back (not run)',
      passResultWith({ nft: { [GUARD]: altered }, changes: [guardChange('load')] }),
      false,
    ],
    [
      'removed (arp.guard: off)',
      passResultWith({
        nft: { [GUARD]: intact() },
        changes: [guardChange('delete')],
        ran: [ran(guardChange('delete'), 'applied')],
      }),
      false,
    ],
    [
      'absent and not wanted (no IPv4 VIP-like address)',
      passResultWith({ nft: { [GUARD]: { available: true, table: null } } }),
      false,
    ],
    ['intact but guarding nothing', passResultWith({ nft: { [GUARD]: intact([]) } }), false],
    ['nft missing', passResultWith({ nft: { [GUARD]: { available: false, table: null } } }), false],
    ['not looked at (arp.guard: off)', passResultWith({}), false],
    ['the pass could not run', { ...passResultWith({ nft: { [GUARD]: intact() } }), reconcile: null }, false],
  ])('%s', (_what, result, expected) => {
    expect(guardInForce(result)).toBe(expected);
  });
});

// The re-read's cadence: every `ms` unless the last pass left the guard in force and nft
// monitor listens, then every `guardedMs`; counted as reads of the one file it watches.
describe('sysctl re-read cadence and the ARP guard', () => {
  function setup() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const watch = new NftWatch();
    const { ctx: base, requests } = recordingContext();
    const ctx = { ...base, nft: watch };
    const values: Record<string, string> = { 'net/ipv4/conf/all/arp_ignore': '1' };
    let reads = 0;
    const fs = {
      read: (p: string) => {
        reads += 1;
        return values[p] ?? null;
      },
      write: () => {},
    };
    const reread = sysctlReread(fs, { ms: 100, guardedMs: 1000 });
    reread.start(ctx);
    const pass = (result = passResultWith({ sysctls: Object.keys(values), nft: { [GUARD]: intact() } })) => {
      reread.afterPass?.(result, {} as never);
      reads = 0; // the baseline's own read
    };
    return { watch, reread, requests, values, pass, reads: () => reads };
  }

  it('slows to guardedMs once a pass leaves the guard in force while nft monitor listens, and back at once when either lapses', async () => {
    const { watch, reread, pass, reads } = setup();
    pass(); // the guard in force, but nft monitor has not joined
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads()).toBe(10);
    watch.watched(true);
    pass();
    await vi.advanceTimersByTimeAsync(999);
    expect(reads()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads()).toBe(1);
    // nft monitor ends: a flush of the guard would go unheard.
    watch.watched(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(reads()).toBe(2);
    watch.watched(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads()).toBe(3);
    // A pass that finds the guard gone and cannot load it.
    pass(
      passResultWith({
        sysctls: ['net/ipv4/conf/all/arp_ignore'],
        nft: { [GUARD]: { available: true, table: null } },
        changes: [guardChange('load')],
        ran: [ran(guardChange('load'), 'failed')],
      }),
    );
    await vi.advanceTimersByTimeAsync(500);
    expect(reads()).toBe(5);
    // A pass that could not run says nothing of the guard.
    pass();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads()).toBe(1);
    pass({ ...passResultWith({ nft: { [GUARD]: intact() } }), reconcile: null });
    await vi.advanceTimersByTimeAsync(100);
    expect(reads()).toBe(1);
    reread.stop();
  });

  it('passes that come more often than the interval do not put the next read off', async () => {
    const { watch, pass, reads, reread } = setup();
    watch.watched(true);
    pass();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(300);
      pass();
    }
    expect(reads()).toBe(0); // read at 1000 ms, then the pass at 1200 ms took its own baseline
    reread.stop();
  });

  it('a reset ARP sysctl is still found under the guard, at the next guarded read, and asks for an urgent pass', async () => {
    const { watch, pass, values, requests, reread } = setup();
    watch.watched(true);
    pass();
    values['net/ipv4/conf/all/arp_ignore'] = '0';
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: true }]);
    reread.stop();
  });

  it('never reads less often under the guard than without it, and stops listening when stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const watch = new NftWatch();
    const { ctx } = recordingContext();
    let reads = 0;
    const fs = {
      read: () => {
        reads += 1;
        return '1';
      },
      write: () => {},
    };
    const reread = sysctlReread(fs, { ms: 2000, guardedMs: 1000 });
    reread.start({ ...ctx, nft: watch });
    watch.watched(true);
    reread.afterPass?.(
      passResultWith({ sysctls: ['net/ipv4/conf/all/arp_ignore'], nft: { [GUARD]: intact() } }),
      {} as never,
    );
    reads = 0;
    await vi.advanceTimersByTimeAsync(1999);
    expect(reads).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads).toBe(1);
    reread.stop();
    watch.watched(false);
    watch.watched(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toBe(1);
  });
});

// The same through the real daemon and its sources, on the fake kernel: nft monitor a
// stand-in the test lets join, or ends.
describe('the daemon re-reads its sysctls less often while the ARP guard is in force', () => {
  const daemon = useInProcessDaemon('rs-agent-guarded-reread-');
  const YAML =
    'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\narp: {guard: nftables}\n' +
    'drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms, sysctl_interval_guarded: 5s}\n';
  const SYSCTL = 'net/ipv4/conf/eth0/arp_ignore';
  const sysctlRepairs = (d: InProcess, from = 0) =>
    d.events('repair', from).filter((l) => l.item === 'sysctl net.ipv4.conf.eth0.arp_ignore');

  it('finds a reset ARP sysctl within the guarded interval, at once when the guard goes with it, and within sysctl_interval once nft monitor has ended', async () => {
    const d = await daemon.start(YAML, (kernel) => void (kernel.nftInstalled = true));
    await d.run(10);
    // The guard in force, nft monitor listening: the reset waits for the guarded read.
    let from = d.lines.length;
    d.kernel.sysctls.set(SYSCTL, '0');
    await d.run(4_900);
    expect(sysctlRepairs(d, from)).toEqual([]);
    await d.run(200);
    expect(sysctlRepairs(d, from)).toMatchObject([{ trigger: 'sysctl' }]);
    // The guard flushed and the sysctl reset together: the flush's event repairs both.
    from = d.lines.length;
    d.kernel.sysctls.set(SYSCTL, '0');
    d.kernel.nft.flush('arp rs_agent');
    d.monitors.print('nft', 'delete rule arp rs_agent input handle 4\n');
    await d.run(10);
    expect(sysctlRepairs(d, from)).toMatchObject([{ trigger: 'event' }]);
    expect(d.kernel.nft.ruleCount('arp rs_agent')).toBe(2);
    // nft monitor ends (and its restart does not join): the re-read is back at 100 ms.
    await d.run(100);
    d.monitors.held.add('nft');
    d.monitors.end('nft', 'signal SIGKILL');
    from = d.lines.length;
    d.kernel.sysctls.set(SYSCTL, '0');
    await d.run(150);
    expect(sysctlRepairs(d, from)).toMatchObject([{ trigger: 'sysctl' }]);
  });

  it('with arp.guard off, re-reads every sysctl_interval', async () => {
    const d = await daemon.start(
      YAML.replace('guard: nftables', 'guard: off'),
      (kernel) => void (kernel.nftInstalled = true),
    );
    await d.run(10);
    const from = d.lines.length;
    d.kernel.sysctls.set(SYSCTL, '0');
    await d.run(150);
    expect(sysctlRepairs(d, from)).toMatchObject([{ trigger: 'sysctl' }]);
  });
});
