import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDaemonStatus } from '../../src/daemon/status-file.js';
import { Daemon, eventually, type LogLine } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';
import {
  AddressMonitor,
  childrenOf,
  cpuTicks,
  Deleter,
  processCost,
  restingFds,
  watchChildOf,
  type AddressEvent,
} from '../helpers/storm.js';

// `rs-agent run` under a storm: a tool deletes the VIPs from lo as fast as the daemon
// puts them back, RS_AGENT_STORM_EVENTS times (default 10 000), or for at least
// RS_AGENT_SOAK_SECONDS when that is set (a soak run by hand). Every deletion must be
// followed by the daemon's repair, except while the flap backoff holds the VIP back;
// afterwards the host must be in sync and the daemon's memory and fds where they were.

const EVENTS = positiveInt('RS_AGENT_STORM_EVENTS', 10_000);
const SOAK_MS = positiveInt('RS_AGENT_SOAK_SECONDS', 0) * 1000;
// Sixteen VIPs: a pass repairs every VIP it finds missing in one `ip` batch, so what a
// storm costs is the number of passes; with 16, 10 000 events are about 650 passes,
// 10 s on an idle 2-core VM.
const VIPS = Array.from({ length: 16 }, (_, i) => `192.0.2.${10 + i}`);
// The first tenth warms the daemon up (V8's heap and code, node's lazily loaded
// modules grow once to their working size: about +10 MiB) before memory is measured.
const WARM_UP = Math.max(VIPS.length, Math.round(EVENTS / 10));
// The flap backoff trips on count, not on speed, so it trips however loaded the machine
// is: with a window longer than any storm (an hour: the storm took 35 s on a quiet 2-core
// machine and over 130 s on a loaded one, past a 60 s window, and then nothing tripped),
// each VIP may be repaired MAX_REPAIRS times, 98% of its share of the storm; each later
// repair trips it again. Backoffs of 0.1 to 0.2 s keep that tail of the storm short.
const MAX_REPAIRS = Math.min(1000, Math.max(1, Math.floor((EVENTS / VIPS.length) * 0.98)));
const FLAP = `{max_repairs: ${MAX_REPAIRS}, window: 1h, backoff: 100ms, max_backoff: 200ms}`;
// A repair not made within this long of its deletion (or of its backoff's end) was
// missed: no later pass is coming, the schedule is set to once a year. Repairs take
// milliseconds (the test prints them); the bound is for a busy machine.
const MISSED_MS = 15_000;
// RSS of a node process is not one number. On the development VM, over storms of up to
// 60 000 events, the live JS heap after each full GC stayed at 5.6 to 6.0 MB, but V8
// lets its old generation fill with garbage up to ~24 MB before collecting and returns
// pages lazily: RSS sampled at rest wandered between 68 and 88 MiB after the warm-up,
// without a trend. The bound is above that; a leak has to exceed it to fail: 2.8 KiB
// per event in the default run, 260 bytes per event in a soak of 100 000.
const RSS_SLACK_MIB = 25;

const MiB = 1024;
const UNIT = resolve(import.meta.dirname, '../../units/rs-agent-watch.service');

let ns: TestNamespace;
let daemon: Daemon | null = null;
let monitor: AddressMonitor | null = null;
beforeAll(async () => {
  ns = await TestNamespace.create({ tmpfs: true });
});
afterAll(async () => {
  await monitor?.stop();
  await daemon?.kill(ns);
  await ns.destroy();
});

describe('rs-agent run under a storm of drift', () => {
  it(
    `repairs each of ${EVENTS} VIP deletions or holds the VIP back, ends in sync, with flat memory and fds`,
    { timeout: 60_000 + EVENTS * 30 + SOAK_MS }, // a bound for a hang, not a speed: 6 minutes for 10 000
    async () => {
      ns.writeConfig(
        [
          `vips: [${VIPS.join(', ')}]`,
          'arp: {guard: off}', // a storm of addresses: one process a pass, as before the guard
          'drift:',
          '  schedule: "0 0 1 1 *"', // no safety net: a missed event must show
          `  flap: ${FLAP}`,
          '',
        ].join('\n'),
      );
      // As the watch unit runs it (a small young generation).
      const nodeOptions = /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(readFileSync(UNIT, 'utf8'))?.[1] ?? '';
      const d = (daemon = new Daemon(ns, { NODE_OPTIONS: nodeOptions }));
      await d.waitFor((l) => l.event === 'ready', 20_000);
      const readyAt = d.lines.length;
      const atReady = processCost(d.pid);

      const deleter = new Deleter(ns);
      let target = 0;
      let soakUntil = 0;
      const present = new Map(VIPS.map((vip) => [vip, true]));
      // The fighting tool's rule: a VIP that comes back is deleted again, until the target.
      monitor = new AddressMonitor(ns, (event: AddressEvent) => {
        if (!present.has(event.vip)) return;
        present.set(event.vip, !event.deleted);
        if (!event.deleted && (deleter.sent < target || Date.now() < soakUntil)) deleter.delete(event.vip);
      });
      await monitor.ready(ns);
      const deletions = () => monitor?.events.filter((e) => e.deleted && present.has(e.vip)).length ?? 0;
      const repairs = () => d.lines.slice(readyAt).filter(isVipRepair);
      const daemonStatus = () => readDaemonStatus(ns.stateDir);
      // At rest: every VIP back, every repair logged, nothing held back.
      const atRest = async () => {
        const rest = await eventually(
          async () =>
            [...present.values()].every(Boolean) &&
            repairs().length === deletions() &&
            (daemonStatus()?.backoffItems ?? []).every((h) => h.heldUntil === null),
          30_000,
        );
        expect(
          rest,
          `not at rest: ${JSON.stringify({ present: [...present], deletions: deletions(), repairs: repairs().length, backoff: daemonStatus()?.backoffItems })}`,
        ).toBe(true);
      };
      const storm = async (until: number, during?: () => void) => {
        target = until;
        for (const vip of VIPS) if (deleter.sent < target) deleter.delete(vip);
        let last = { sent: deleter.sent, at: Date.now() };
        while (deleter.sent < target || Date.now() < soakUntil) {
          during?.();
          await sleep(20);
          if (deleter.sent > last.sent) last = { sent: deleter.sent, at: Date.now() };
          // Backoffs here last 0.2 s at most: a storm standing still has lost a repair.
          const stalled = Date.now() - last.at > MISSED_MS;
          expect(
            stalled,
            `no VIP came back for ${MISSED_MS} ms: ${JSON.stringify({ missing: VIPS.filter((v) => !present.get(v)), status: daemonStatus() })}`,
          ).toBe(false);
        }
        await atRest();
      };

      await storm(WARM_UP);
      await sleep(1_000);
      const before = { ...processCost(d.pid), fds: await restingFds(d.pid) };

      // The storm proper; halfway through, the daemon's `ip monitor` child is killed and
      // restarted by it (its pipes must not stay open).
      const t0 = Date.now();
      const watchPid = watchChildOf(d.pid);
      expect(watchPid).toBeDefined();
      const ticks0 = { daemon: cpuTicks(d.pid), watch: watchPid ? cpuTicks(watchPid).own : 0 };
      let watchTicks: number | null = null; // the killed child's CPU time
      soakUntil = t0 + SOAK_MS;
      await storm(EVENTS, () => {
        if (
          watchTicks === null &&
          watchPid &&
          deleter.sent > (WARM_UP + EVENTS) / 2 &&
          Date.now() >= t0 + SOAK_MS / 2
        ) {
          watchTicks = cpuTicks(watchPid).own - ticks0.watch;
          process.kill(watchPid, 'SIGKILL');
        }
      });
      const stormMs = Date.now() - t0;
      const ticks1 = cpuTicks(d.pid);
      const newWatch = watchChildOf(d.pid);
      const cpuPercent =
        (ticks1.own -
          ticks0.daemon.own +
          ticks1.reaped -
          ticks0.daemon.reaped +
          (watchTicks ?? 0) +
          (newWatch ? cpuTicks(newWatch).own : 0)) /
        (stormMs / 1000);
      expect(await deleter.close()).toBe(''); // every deletion hit a VIP that was there
      await sleep(2_000);
      const after = { ...processCost(d.pid), fds: await restingFds(d.pid) };

      // Every deletion really happened, and each was followed by the daemon's repair.
      const events = monitor.events.filter((e) => present.has(e.vip));
      expect(events.filter((e) => e.deleted)).toHaveLength(deleter.sent);
      expect(deleter.sent).toBeGreaterThanOrEqual(EVENTS);
      const trips = d.lines.slice(readyAt).filter((l) => l.event === 'flap-backoff');
      const late: string[] = [];
      const delays = { prompt: [] as number[], afterBackoff: [] as number[] }; // figures for the report
      for (const vip of VIPS) {
        const item = `address ${vip}/32 dev lo`;
        const seen = events.filter((e) => e.vip === vip);
        // Deleted, back, deleted, back, ...: never deleted twice, and back at the end.
        expect(seen.map((e) => e.deleted)).toEqual(seen.map((_, i) => i % 2 === 0));
        const lines = d.lines
          .slice(readyAt)
          .filter((l) => l.item === item && (isVipRepair(l) || l.event === 'flap-backoff'));
        const fixes = lines.filter(isVipRepair);
        expect(fixes).toHaveLength(seen.length / 2); // every add the kernel saw was the daemon's
        // The i-th deletion is answered by the i-th repair: promptly, or, when the repair
        // before it tripped the guard, not before the backoff ended and promptly after.
        seen
          .filter((e) => e.deleted)
          .forEach((deletion, i) => {
            const fix = fixes[i] as LogLine;
            const previous = i === 0 ? null : lines[lines.indexOf(fixes[i - 1] as LogLine) + 1];
            const trip = previous?.event === 'flap-backoff' ? previous : null;
            // The backoff's end as the daemon logs it (held_until), not the trip line's time
            // plus backoff_s: the line is written after the pass that tripped it, later than
            // the backoff started on the daemon's clock (by as much as that pass's last
            // steps and its other log lines take).
            const due = trip ? Date.parse(String(trip.held_until)) : deletion.at;
            expect(due, `${item}: a backoff without its end: ${JSON.stringify(trip)}`).not.toBeNaN();
            (trip ? delays.afterBackoff : delays.prompt).push(Date.parse(fix.time) - due);
            if (trip && Date.parse(fix.time) < due - 5)
              late.push(`${item}: repaired at ${fix.time}, held back until ${new Date(due).toISOString()}`);
            if (Date.parse(fix.time) - due > MISSED_MS)
              late.push(
                `${item}: deletion ${i} at ${new Date(deletion.at).toISOString()} repaired only at ${fix.time}`,
              );
          });
      }
      expect(late).toEqual([]);

      // The guard tripped, only on VIPs, and status and log agree.
      expect(trips.length).toBeGreaterThan(0);
      const status = daemonStatus();
      expect(status).toMatchObject({ running: true, flapBackoffs: trips.length });
      expect(status?.repairs.address).toBe(repairs().length); // the start pass's adds are changes, not repairs
      expect(status?.changes.address).toBe(VIPS.length);
      // Nothing went wrong but the flap backoffs and the one `ip monitor` it restarted.
      const errors = d.lines.filter((l) => l.level !== 'info' && l.event !== 'flap-backoff');
      expect(errors.map((l) => l.event)).toEqual(['monitor-ended']);

      const mib = (kib: number) => Math.round((kib / MiB) * 10) / 10;
      console.log(
        `storm: ${deleter.sent - WARM_UP} deletions after a warm-up of ${WARM_UP} (${deleter.sent} in all) in ${(stormMs / 1000).toFixed(1)} s, ` +
          `${repairs().length} repairs, ${trips.length} flap backoffs (max_repairs ${MAX_REPAIRS}), daemon CPU ${cpuPercent.toFixed(0)}% of a core ` +
          `(itself, its ip runs, its ip monitor); deletion to repair logged ${quantiles(delays.prompt)} ms, ` +
          `backoff end to repair logged ${quantiles(delays.afterBackoff)} ms; RSS ${mib(atReady.rssKiB)} MiB at ready, ${mib(before.rssKiB)} before (anon ${mib(before.anonKiB)}), ` +
          `${mib(after.rssKiB)} after (anon ${mib(after.anonKiB)}); fds ${atReady.fds.length} at ready, ${before.fds.length} before, ${after.fds.length} after`,
      );

      expect(await ns.cli(['check'])).toMatchObject({ exitCode: 0, stdout: 'in sync' });
      // Every `ip` a pass ran has been reaped: the only children left are the new `ip monitor`,
      // the `nft monitor`, and the passes' long-lived lock helper and `ip -batch`.
      const longLived = childrenOf(d.pid).filter((child) => {
        const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
        return argv[0] === 'perl' || argv.join(' ').startsWith('ip -force -json -batch -');
      });
      expect(longLived).toHaveLength(2);
      expect(childrenOf(d.pid).sort()).toEqual([newWatch, watchChildOf(d.pid, 'nft'), ...longLived].sort());
      expect(after.fds, `fds before:\n${before.fds.join('\n')}\nafter:\n${after.fds.join('\n')}`).toHaveLength(
        before.fds.length,
      );
      expect((after.rssKiB - before.rssKiB) / MiB).toBeLessThan(RSS_SLACK_MIB);
    },
  );
});

function isVipRepair(line: LogLine): boolean {
  return line.event === 'repair' && String(line.item).startsWith('address ') && line.from === 'absent';
}

function quantiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return `median ${at(0.5)}, p99 ${at(0.99)}, max ${at(1)}`;
}

function positiveInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}=${text}: not a whole number`);
  return value;
}
