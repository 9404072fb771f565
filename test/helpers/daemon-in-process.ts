import { afterEach, beforeEach, vi } from 'vitest';
import type { AgentOptions } from '../../src/agent.js';
import { Daemon, loadDaemonConfig } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/daemon/log.js';
import type { MonitorHandlers, StartMonitor } from '../../src/daemon/monitor-child.js';
import { triggerSources } from '../../src/daemon/triggers/sources.js';
import type { LogLine } from './daemon.js';
import type { FakeKernel } from './fake-kernel.js';
import { fakeAgent } from './fake-agent.js';
import { FakeStore } from './fake-store.js';
import { useTempDir } from './temp-dir.js';

// `rs-agent run` in the test process: the real Daemon with its real list of trigger
// sources, against the fake kernel, the fake store and stand-in monitor children, on
// vitest's fake timers (the Scheduler, node-cron and the log's clock all follow them).
// The one real process a pass runs is util-linux flock for the state-dir lock: run()
// waits for it before it moves the clock on, so a pass takes no fake time at all.

export const FAKE_TIMERS = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'Date',
  'performance',
] as const;

// The `ip monitor` and `nft monitor` children: a test says what they print, or kills one.
// A child joins the kernel's events as it starts, unless the test holds the children of a
// command back: then it joins when the test says so.
export class FakeMonitors {
  readonly children: { argv: readonly string[]; handlers: MonitorHandlers; stopped: boolean }[] = [];
  readonly held = new Set<string>();

  readonly start: StartMonitor = (handlers, argv) => {
    const child = { argv, handlers, stopped: false };
    this.children.push(child);
    if (!this.held.has(argv[0] as string)) handlers.onJoined();
    return { stop: () => void (child.stopped = true) };
  };

  // The live child running `command` joins the kernel's events.
  join(command: string): void {
    this.live(command).handlers.onJoined();
  }

  // What the live child running `command` (ip, nft) prints.
  print(command: string, text: string): void {
    this.live(command).handlers.onChange(text);
  }

  // The live child running `command` ends on its own.
  end(command: string, reason: string): void {
    const child = this.live(command);
    child.stopped = true;
    child.handlers.onExit(`${child.argv.join(' ')} ended: ${reason}`);
  }

  live(command: string) {
    const child = this.children.find((c) => c.argv[0] === command && !c.stopped);
    if (!child) throw new Error(`no ${command} monitor runs`);
    return child;
  }
}

// Two DR VIPs on eth0's host, the ARP guard off unless extra says otherwise, no scheduled
// pass (what happens is what the test asks for), and `extra` lines at the end.
export function inProcessConfig(metricsDir: string, extra = '', drift = ''): string {
  return [
    'vips: [192.0.2.10, 192.0.2.11]',
    'interfaces: [eth0]',
    ...(extra.includes('arp:') ? [] : ['arp: {guard: off}']),
    'drift:',
    '  schedule: "0 0 1 1 *"',
    '  sysctl_interval: 100ms',
    ...(drift ? [`  ${drift}`] : []),
    `metrics: {file: ${metricsDir}/rs-agent.prom}`,
    extra,
  ].join('\n');
}

export interface InProcess {
  kernel: FakeKernel;
  opts: AgentOptions;
  daemon: Daemon;
  store: FakeStore;
  monitors: FakeMonitors;
  lines: LogLine[];
  internalErrors: unknown[];
  setConfig(yaml: string): void;
  // Moves the fake clock on by ms, running every pass that falls due, to its end.
  run(ms: number): Promise<void>;
  // Runs the fake clock until the promise settles (at most maxMs of fake time).
  until<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
  // Someone deletes an address from lo; the kernel's event reaches the ip monitor child.
  deleteVip(vip: string): void;
  // Log lines of one event (from index `from` on).
  events(event: string, from?: number): LogLine[];
  stop(): Promise<void>;
}

// A daemon on the given config, started and through its first pass. Call after
// vi.useFakeTimers({ toFake: FAKE_TIMERS }).
export async function startInProcess(
  yaml: string,
  setup: (kernel: FakeKernel, store: FakeStore, monitors: FakeMonitors) => void = () => {},
): Promise<InProcess> {
  const { kernel, opts, setConfig } = fakeAgent(yaml);
  const store = new FakeStore();
  const monitors = new FakeMonitors();
  setup(kernel, store, monitors);
  const lines: LogLine[] = [];
  const logger = createLogger('json', (line) => void lines.push(JSON.parse(line) as LogLine), false);
  const internalErrors: unknown[] = [];
  const daemon = new Daemon({
    agent: opts,
    logger,
    config: loadDaemonConfig(opts),
    sources: (config) =>
      triggerSources(config, {
        agent: opts,
        logger,
        startMonitor: monitors.start,
        readPorts: () => new Set(),
        connectStore: store.connect,
      }),
    onInternalError: (error) => void internalErrors.push(error),
  });
  const run = async (ms: number) => {
    const end = performance.now() + ms;
    for (;;) {
      await daemon.settled();
      const left = end - performance.now();
      if (left <= 0) break;
      await vi.advanceTimersByTimeAsync(Math.min(1, left));
    }
    await daemon.settled();
  };
  const until = async <T>(promise: Promise<T>, maxMs = 60_000): Promise<T> => {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    const end = performance.now() + maxMs;
    while (!settled && performance.now() < end) await run(1);
    if (!settled) throw new Error(`not settled within ${maxMs} ms of fake time`);
    return watched;
  };
  await until(daemon.start());
  await until(daemon.firstPass);
  await run(0);
  return {
    kernel,
    opts,
    daemon,
    store,
    monitors,
    lines,
    internalErrors,
    setConfig,
    run,
    until,
    deleteVip: (vip) => {
      const lo = kernel.links.get('lo');
      const at = lo?.addresses.findIndex((a) => a.local === vip) ?? -1;
      if (at >= 0) lo?.addresses.splice(at, 1);
      monitors.print('ip', `Deleted 1: lo    inet ${vip}/32 scope global lo\n`);
    },
    events: (event, from = 0) => lines.slice(from).filter((l) => l.event === event),
    stop: async () => {
      await until(daemon.stop(2_000));
    },
  };
}

// For a test file: fake timers around each test, a temp dir for its files, and the
// daemon a test started stopped after it (every timer with it).
export function useInProcessDaemon(prefix: string) {
  const tempDir = useTempDir(prefix);
  let current: InProcess | null = null;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...FAKE_TIMERS] });
  });
  afterEach(async () => {
    await current?.stop();
    current = null;
    vi.useRealTimers();
  });
  return {
    tempDir,
    start: async (yaml: string, setup?: Parameters<typeof startInProcess>[1]) =>
      (current = await startInProcess(yaml, setup)),
  };
}
