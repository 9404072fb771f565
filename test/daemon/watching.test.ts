import { describe, expect, it } from 'vitest';
import type { Watching } from '../../src/daemon/daemon.js';
import { useInProcessDaemon } from '../helpers/daemon-in-process.js';

// "ready: … watching for drift" is said once every later change reaches a monitor: the
// daemon waits (bounded) for its ip and nft monitor children to join the kernel's events,
// and for the passes their joins ask for. A change made right after ready is then repaired
// from its own event, not by a join pass that happened to come after it.
const daemon = useInProcessDaemon('rs-agent-watching-');
const YAML = () =>
  [
    'vips: [192.0.2.10]',
    'interfaces: [eth0]',
    'drift:',
    '  schedule: "0 0 1 1 *"',
    '  sysctl_interval: 100ms',
    `metrics: {file: ${daemon.tempDir()}/rs-agent.prom}`,
  ].join('\n');

const passes = (d: { daemon: { currentStats: { reconciles: Record<string, number> } } }) =>
  Object.values(d.daemon.currentStats.reconciles).reduce((a, b) => a + b, 0);

// The daemon with nft installed and these monitors held (not joined until the test says).
const startHeld = (...held: ('ip' | 'nft')[]) =>
  daemon.start(YAML(), (kernel, _store, monitors) => {
    kernel.nftInstalled = true;
    for (const m of held) monitors.held.add(m);
  });

// watching(bound), with the passes run by the time it resolved.
function watch(d: Awaited<ReturnType<typeof startHeld>>, bound: number | null) {
  const seen: { result: Watching | null; passesThen: number } = { result: null, passesThen: 0 };
  void d.daemon.watching(bound).then((r) => {
    seen.result = r;
    seen.passesThen = passes(d);
  });
  return seen;
}

// The held nft monitor joins: watching() must resolve then, and only once the one pass the
// join asked for (debounced) has run.
async function nftJoinsWithItsPass(d: Awaited<ReturnType<typeof startHeld>>, w: ReturnType<typeof watch>) {
  const before = passes(d);
  d.monitors.join('nft');
  await d.run(10);
  expect(w.result).toEqual({ notWatching: [], passesPending: false });
  expect(w.passesThen - before, 'passes run when it resolved').toBe(1);
}

describe('waiting for the monitors to watch', () => {
  it('resolves once both monitors have joined and the pass their joins asked for has run', async () => {
    const d = await startHeld('ip', 'nft');
    const w = watch(d, 5_000);
    await d.run(1_000);
    expect(w.result).toBeNull();
    d.monitors.join('ip');
    await d.run(1_000);
    expect(w.result, 'nft monitor has not joined').toBeNull();
    await nftJoinsWithItsPass(d, w);
  });

  it('gives up after its bound and names the monitor that has not joined', async () => {
    const d = await startHeld('nft');
    const w = watch(d, 5_000);
    await d.run(4_990);
    expect(w.result).toBeNull();
    await d.run(20);
    expect(w.result).toMatchObject({ notWatching: ['nft-monitor'] });
  });

  it('a missing nft is nothing to wait for', async () => {
    const d = await daemon.start(YAML(), (_kernel, _store, monitors) => {
      monitors.held.add('nft');
    });
    const w = watch(d, 5_000);
    d.monitors.end('nft', 'nft: command not found in PATH (install nftables)');
    await d.run(10);
    expect(w.result).toEqual({ notWatching: [], passesPending: false });
  });

  it('says passes are pending when the bound ends before the pass a late join asked for', async () => {
    const d = await startHeld('ip', 'nft');
    const w = watch(d, 5_000);
    await d.run(4_999);
    d.monitors.join('ip');
    d.monitors.join('nft');
    await d.run(1);
    expect(w.result).toEqual({ notWatching: [], passesPending: true });
  });

  // What `rs-agent run` waits for after a ready that came too soon, before it logs watching.
  it('with no bound, resolves only once the late monitor has joined and its pass has run', async () => {
    const d = await startHeld('nft');
    const w = watch(d, null);
    await d.run(60_000);
    expect(w.result, 'nft monitor has not joined').toBeNull();
    await nftJoinsWithItsPass(d, w);
  });
});
