import { describe, expect, it } from 'vitest';
import { useInProcessDaemon, type InProcess } from '../helpers/daemon-in-process.js';
import { NftWatch } from '../../src/daemon/nft-watch.js';
import { ARP_GUARD_TABLE } from '../../src/objects/nft/arp-guard.js';
import { MSS_CLAMP_TABLE } from '../../src/objects/nft/mss-clamp.js';
import { TRAFFIC_TABLE } from '../../src/objects/nft/traffic.js';
import type { ActualNftTable } from '../../src/observe/types.js';

const TABLES = [ARP_GUARD_TABLE, MSS_CLAMP_TABLE, TRAFFIC_TABLE];
const ids = (tables: readonly { family: string; name: string }[]) => tables.map((t) => `${t.family} ${t.name}`);
const intact = (holds: string[]): ActualNftTable => ({ available: true, table: { state: 'intact', holds } });

// A pass as snapshot() makes it: read what toRead says, remember it.
function pass(watch: NftWatch, found: Record<string, ActualNftTable>) {
  const { read, known } = watch.toRead(TABLES);
  const readNow = Object.fromEntries(ids(read).map((id) => [id, found[id] as ActualNftTable]));
  watch.remember(readNow);
  return { read: ids(read), nft: { ...known, ...readNow } };
}

const FOUND = {
  'arp rs_agent': intact(['192.0.2.10']),
  'inet rs_agent': intact(['tunl0 1440']),
  'inet rs_agent_traffic': intact(['192.0.2.10']),
};

describe('what a daemon pass reads of its nftables tables', () => {
  it('reads every table while nothing watches', () => {
    const watch = new NftWatch();
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
  });

  it('while nft monitor runs, reads again only the tables an event or a load named, and keeps the rest', () => {
    const watch = new NftWatch();
    watch.watched(true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    const quiet = pass(watch, FOUND);
    expect(quiet.read).toEqual([]);
    expect(quiet.nft).toEqual(FOUND);
    watch.changed('inet rs_agent_traffic');
    const gone = { ...FOUND, 'inet rs_agent_traffic': { available: true, table: null } };
    const after = pass(watch, gone);
    expect(after.read).toEqual(['inet rs_agent_traffic']);
    expect(after.nft['inet rs_agent_traffic']).toEqual({ available: true, table: null });
    expect(pass(watch, gone).read).toEqual([]);
  });

  it('does not keep a reading an event came in during (the table changed after it was read)', () => {
    const watch = new NftWatch();
    watch.watched(true);
    const { read } = watch.toRead(TABLES);
    watch.changed('arp rs_agent');
    watch.remember(Object.fromEntries(ids(read).map((id) => [id, FOUND[id as keyof typeof FOUND]])));
    expect(ids(watch.toRead(TABLES).read)).toEqual(['arp rs_agent']);
  });

  it('reads every table after readAll (start, reload) and once the monitor has ended', () => {
    const watch = new NftWatch();
    watch.watched(true);
    pass(watch, FOUND);
    watch.readAll();
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    expect(pass(watch, FOUND).read).toEqual([]);
    watch.watched(false);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    watch.watched(true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
  });

  it("does not keep a reading begun before the monitor joined the kernel's events", () => {
    const watch = new NftWatch();
    const { read } = watch.toRead(TABLES);
    watch.watched(true);
    watch.remember(Object.fromEntries(ids(read).map((id) => [id, FOUND[id as keyof typeof FOUND]])));
    expect(ids(watch.toRead(TABLES).read)).toEqual(ids(TABLES));
  });

  it('on the schedule, reads every table only once the last full reading is old enough', () => {
    let now = 0;
    const watch = new NftWatch(() => now);
    watch.watched(true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES)); // the first, at 0
    now = 299_999;
    watch.readAllEvery(300_000);
    expect(pass(watch, FOUND).read).toEqual([]);
    now = 300_000;
    watch.readAllEvery(300_000);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    // A pass that read them all for another reason (the monitor ended) counts as one.
    now = 500_000;
    watch.watched(false);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    watch.watched(true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES)); // the join's
    now = 799_999;
    watch.readAllEvery(300_000);
    expect(pass(watch, FOUND).read).toEqual([]);
  });

  it('before a pass: start and reload read every table, the schedule every 5 minutes, an event only what it named', () => {
    let now = 0;
    const watch = new NftWatch(() => now);
    watch.watched(true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES)); // the first, at 0
    now = 60_000;
    watch.beforePass(new Set(['schedule']), false);
    expect(pass(watch, FOUND).read).toEqual([]);
    watch.beforePass(new Set(['event']), false);
    expect(pass(watch, FOUND).read).toEqual([]);
    watch.beforePass(new Set(['reload', 'event']), false);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    now = 360_000;
    watch.beforePass(new Set(['schedule']), false);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES));
    // With metrics, the counting tables are read after every pass.
    watch.beforePass(new Set(['event']), true);
    expect(pass(watch, FOUND).read).toEqual(ids(TABLES.filter((t) => t.counts)));
  });

  it('says whether nft monitor listens, and tells its listeners each time that changes', () => {
    const watch = new NftWatch();
    const heard: boolean[] = [];
    const stop = watch.onListening((on) => heard.push(on));
    expect(watch.listening).toBe(false);
    watch.watched(true);
    watch.watched(true); // joined again without an end in between: no news
    expect(watch.listening).toBe(true);
    watch.watched(false);
    stop();
    watch.watched(true);
    expect(heard).toEqual([true, false]);
    expect(watch.listening).toBe(true);
  });

  it('while the metrics read counters, reads the tables whose spec counts on every pass', () => {
    const watch = new NftWatch();
    watch.watched(true);
    watch.setCounting(true);
    pass(watch, FOUND);
    expect(pass(watch, FOUND).read).toEqual(['arp rs_agent', 'inet rs_agent_traffic']);
  });
});

// The daemon on the fake kernel, its nft monitor a stand-in, no metrics file.
describe('the daemon reads its nftables tables when nft monitor names them', () => {
  const daemon = useInProcessDaemon('rs-agent-nft-watch-');
  const YAML =
    'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\narp: {guard: nftables}\n' +
    'drift: {schedule: "0 0 1 1 *", sysctl_interval: 100ms}\n';
  const lists = (commands: string[], from: number) => commands.slice(from).filter((c) => c.startsWith('nft -j list'));
  // Two passes for VIP events: the first reads back what the last loaded, the second (whose
  // listings it returns) reads what the watch says it must.
  const twoVipPasses = async (d: InProcess) => {
    d.deleteVip('192.0.2.11');
    await d.run(10);
    const from = d.kernel.commands.length;
    d.deleteVip('192.0.2.10');
    await d.run(10);
    return lists(d.kernel.commands, from);
  };

  it('repairs a deleted VIP without listing a table, and a flushed guard after listing that table alone', async () => {
    const d = await daemon.start(YAML, (kernel) => void (kernel.nftInstalled = true));
    // The first pass loaded both tables: the next reads them back once.
    d.deleteVip('192.0.2.10');
    await d.run(10);
    expect(lists(d.kernel.commands, 0).length).toBe(4);
    const start = d.kernel.commands.length;
    d.deleteVip('192.0.2.11');
    await d.run(10);
    expect(d.events('repair').map((l) => l.item)).toContain('address 192.0.2.11/32 dev lo');
    expect(lists(d.kernel.commands, start)).toEqual([]);
    const before = d.kernel.commands.length;
    d.kernel.nft.flush('arp rs_agent');
    d.monitors.print('nft', 'delete rule arp rs_agent input handle 4\n');
    await d.run(10);
    expect(lists(d.kernel.commands, before)).toEqual(['nft -j list table arp rs_agent']);
    expect(d.kernel.nft.ruleCount('arp rs_agent')).toBe(2);
  });

  // nft monitor hears of changes only once it has joined the kernel's events (after reading
  // the ruleset): a guard flushed before that has no event, at start or after a restart.
  it('until nft monitor has joined, every pass lists every table; its join asks for a pass that does', async () => {
    const d = await daemon.start(YAML, (kernel, _store, monitors) => {
      kernel.nftInstalled = true;
      monitors.held.add('nft');
    });
    const flushedUnseen = async () => {
      d.kernel.nft.flush('arp rs_agent');
      expect(d.kernel.nft.ruleCount('arp rs_agent')).toBe(0);
      await d.run(10);
    };
    const repairsOfGuard = () => d.events('repair').filter((l) => l.item === 'nft table arp rs_agent').length;
    for (const round of ['start', 'restart']) {
      const before = repairsOfGuard();
      await flushedUnseen();
      d.deleteVip('192.0.2.10');
      await d.run(10);
      expect(d.kernel.nft.ruleCount('arp rs_agent'), `${round}: a VIP's event`).toBe(2);
      await flushedUnseen();
      const from = d.kernel.commands.length;
      d.monitors.join('nft');
      await d.run(10);
      expect(d.kernel.nft.ruleCount('arp rs_agent'), `${round}: the join`).toBe(2);
      expect(repairsOfGuard() - before).toBe(2);
      expect(lists(d.kernel.commands, from)).toContain('nft -j list table arp rs_agent');
      // Joined: the next pass reads back what the repair loaded, and the one after lists nothing.
      expect(await twoVipPasses(d)).toEqual([]);
      d.monitors.end('nft', 'signal SIGKILL');
      await d.run(1_500);
    }
  });

  it('a scheduled pass lists no table while nft monitor listens, but all of them every 5 minutes', async () => {
    const yaml = YAML.replace('schedule: "0 0 1 1 *"', 'schedule: "*/30 * * * * *"');
    const d = await daemon.start(yaml, (kernel) => void (kernel.nftInstalled = true));
    // The first pass loaded both tables: the next reads them back once.
    d.deleteVip('192.0.2.10');
    await d.run(10);
    const listingsPerPass: number[] = [];
    for (let i = 0; i < 12; i++) {
      const from = d.kernel.commands.length;
      await d.run(30_000);
      expect(d.kernel.commands.slice(from).filter((c) => c.startsWith('ip -json -batch'))).toHaveLength(1);
      listingsPerPass.push(lists(d.kernel.commands, from).length);
    }
    // Of 12 scheduled passes (6 minutes), the first 5 minutes after the start's lists the
    // guard's and the traffic table; the MSS clamp's is not looked at without TUN VIPs.
    expect(listingsPerPass.filter((n) => n > 0)).toEqual([2]);
    expect(d.events('repair')).toHaveLength(1);
  });

  // nft monitor prints this line (nftables 1.0.6, on its output) when its socket's buffer
  // overflowed and the kernel dropped events: a flush among them has no event of its own.
  it('a guard flushed among events nft monitor lost is listed and repaired at once', async () => {
    const d = await daemon.start(YAML, (kernel) => void (kernel.nftInstalled = true));
    expect(await twoVipPasses(d)).toEqual([]);
    d.kernel.nft.flush('arp rs_agent');
    d.monitors.print('nft', '# ERROR: We lost some netlink events!\n');
    await d.run(10);
    expect(d.kernel.nft.ruleCount('arp rs_agent')).toBe(2);
    expect(d.events('repair').filter((l) => l.item === 'nft table arp rs_agent')).toHaveLength(1);
  });
});
