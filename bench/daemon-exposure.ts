// ARP exposure of a steady VIP while something resets the ARP sysctls, with arp.guard
// off (the sysctls are then the only protection, as on a host without nftables), with
// and without an address fight elsewhere on the host. Counted by a real prober: a peer
// namespace on the other end of eth0 asks "who has VIP?" every 50 ms, as a router
// would, and counts the replies (test/helpers/arp-prober.py, AF_PACKET). The exposure
// of each reset is also timed from this process (1 ms polls of the sysctl files).
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PEER_ADDRESS = '10.99.0.2';
export const OWN_ADDRESS = '10.99.0.1';
const PROBER = 'test/helpers/arp-prober.py';
const RESETS = 10; // one a second, for as long as the prober asks
const PROBE_MS = 50;
const GIVE_UP_MS = 950; // a reset not repaired before the next one is counted at this
const ARP_FILES = ['all', 'eth0'].flatMap((d) => [
  `/proc/sys/net/ipv4/conf/${d}/arp_ignore`,
  `/proc/sys/net/ipv4/conf/${d}/arp_announce`,
]);

// quiet: the resets alone. fight: another tool deletes the second VIP every 200 ms (the
// flap backoff soon holds it back, and it stays away). churn: that fight, and a tool
// adding and removing an unrelated route every 200 ms, so that kernel events (which ask
// for ordinary passes) keep coming while the VIP is held back.
export const CASES = ['quiet', 'fight', 'churn'] as const;
export type Case = (typeof CASES)[number];

export interface ExposureRound {
  case: Case;
  sent: number;
  answered: number;
  exposureMs: number[]; // per reset: until every reset file was back (GIVE_UP_MS at most)
  fightDeletions: number;
  loadavg1: [number, number]; // before and after the round
}

// One round against a daemon already converged (started by the caller): RESETS resets a
// second apart while the prober asks for `vip`.
export async function exposureRound(
  root: string,
  peer: string,
  vip: string,
  foughtVip: string,
  what: Case,
): Promise<ExposureRound> {
  const before = loadavg()[0] ?? 0;
  const loops = [
    ...(what === 'quiet' ? [] : [`ip addr del ${foughtVip}/32 dev lo 2>/dev/null && n=$((n+1)); echo $n`]),
    ...(what === 'churn' ? ['ip route add 203.0.113.0/24 dev eth0; ip route del 203.0.113.0/24 dev eth0'] : []),
  ];
  const fighter =
    loops.length === 0
      ? null
      : execa('sh', ['-c', `n=0; while :; do ${loops.join('; ')}; sleep 0.2; done`], { reject: false, buffer: false });
  let fightDeletions = 0;
  fighter?.stdout?.on('data', (chunk: Buffer) => {
    const last = chunk.toString().trim().split('\n').at(-1);
    if (last) fightDeletions = Number(last);
  });
  if (fighter) await sleep(1_500); // the fight under way and the backoff tripped before the first reset
  const prober = execa('ip', [
    'netns',
    'exec',
    peer,
    'python3',
    join(root, PROBER),
    'eth0-peer',
    PEER_ADDRESS,
    vip,
    String(PROBE_MS),
    String(RESETS),
  ]);
  // The resets start when the prober asks: python may take seconds to start on a loaded machine.
  await new Promise<void>((resolve, reject) => {
    prober.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    prober.catch(reject);
  });
  const exposureMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < RESETS; i++) {
    await sleep(Math.max(0, t0 + i * 1000 + 25 - performance.now()));
    const reset = performance.now();
    for (const file of ARP_FILES) writeFileSync(file, '0\n');
    while (ARP_FILES.some((f) => readFileSync(f, 'utf8').trim() === '0') && performance.now() - reset < GIVE_UP_MS)
      await sleep(1);
    exposureMs.push(Math.min(GIVE_UP_MS, performance.now() - reset));
  }
  const probed = JSON.parse((await prober).stdout) as { sent: number; answered: number };
  fighter?.kill('SIGKILL');
  await fighter;
  return { case: what, ...probed, exposureMs, fightDeletions, loadavg1: [before, loadavg()[0] ?? 0] };
}
