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
const ARP_FILES = ['all', 'eth0'].flatMap((d) => [
  `/proc/sys/net/ipv4/conf/${d}/arp_ignore`,
  `/proc/sys/net/ipv4/conf/${d}/arp_announce`,
]);

export interface ExposureRound {
  fight: boolean;
  sent: number;
  answered: number;
  exposureMs: number[]; // per reset: until every reset file was back
  fightDeletions: number;
  loadavg1: [number, number]; // before and after the round
}

// One round: a daemon already converged (started by the caller), RESETS resets a second
// apart while the prober asks for `vip`; with fight, another tool deletes `foughtVip`
// every 200 ms meanwhile (the flap backoff soon holds it back).
export async function exposureRound(
  root: string,
  peer: string,
  vip: string,
  foughtVip: string,
  fight: boolean,
): Promise<ExposureRound> {
  const before = loadavg()[0] ?? 0;
  const fighter = fight
    ? execa(
        'sh',
        [
          '-c',
          `n=0; while :; do ip addr del ${foughtVip}/32 dev lo 2>/dev/null && n=$((n+1)); echo $n; sleep 0.2; done`,
        ],
        { reject: false, buffer: false },
      )
    : null;
  let fightDeletions = 0;
  fighter?.stdout?.on('data', (chunk: Buffer) => {
    const last = chunk.toString().trim().split('\n').at(-1);
    if (last) fightDeletions = Number(last);
  });
  if (fight) await sleep(1_500); // the fight under way and the backoff tripped before the first reset
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
  const exposureMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < RESETS; i++) {
    await sleep(Math.max(0, t0 + i * 1000 + 100 - performance.now()));
    const reset = performance.now();
    for (const file of ARP_FILES) writeFileSync(file, '0\n');
    while (ARP_FILES.some((f) => readFileSync(f, 'utf8').trim() === '0') && performance.now() - reset < 900)
      await sleep(1);
    exposureMs.push(performance.now() - reset);
  }
  const probed = JSON.parse((await prober).stdout) as { sent: number; answered: number };
  fighter?.kill('SIGKILL');
  await fighter;
  return { fight, ...probed, exposureMs, fightDeletions, loadavg1: [before, loadavg()[0] ?? 0] };
}
