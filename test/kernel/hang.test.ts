import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon, eventually } from '../helpers/daemon.js';
import { TestNamespace } from '../helpers/netns.js';

// An `ip` that never answers (a wedged netlink socket): rs-agent kills it when its
// timeout expires, fails with one error naming it, and leaves the lock free.

let ns: TestNamespace;
let daemon: Daemon | null = null;
let realIp: string;
beforeEach(async () => {
  ns = await TestNamespace.create();
  ns.writeConfig('vips: [192.0.2.10, 192.0.2.11]\n');
  realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout.trim();
});
afterEach(async () => {
  await daemon?.kill(ns);
  daemon = null;
  await ns.destroy();
});

// A stub `ip` first on PATH: it records its pid and sleeps for ever while `hangWhen`
// (a shell condition) holds, and runs the real ip otherwise.
function stubIp(hangWhen: string): { path: string; pids: () => number[] } {
  const bin = join(ns.dir, 'bin');
  const pidFile = join(ns.dir, 'stub-pids');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'ip'),
    `#!/bin/sh\nif ${hangWhen}; then echo $$ >> ${pidFile}; exec sleep 3600; fi\nexec ${realIp} "$@"\n`,
  );
  chmodSync(join(bin, 'ip'), 0o755);
  const pids = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  return { path: `${bin}:${process.env.PATH}`, pids };
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe('an ip that hangs', () => {
  it('start fails with one error naming ip and the timeout, kills it, and frees the lock', async () => {
    const stub = stubIp('true');
    // Long enough for the stub to record its pid first, however busy the machine.
    const hung = await ns.cli(['start'], { PATH: stub.path, RS_AGENT_COMMAND_TIMEOUT: '2' });
    expect(hung.exitCode).toBe(2);
    expect(hung.stderr).toMatch(
      /^rs-agent: ip -json .*: no answer after 2 s; killed it \(RS_AGENT_COMMAND_TIMEOUT sets the limit\)\n?$/,
    );
    expect(stub.pids()).toHaveLength(1);
    expect(stub.pids().filter(alive)).toEqual([]);
    // The lock is free: a start with the real ip runs at once and converges.
    const start = await ns.cli(['start'], {}, ns.configPath);
    expect(start).toMatchObject({ exitCode: 0, stderr: '' });
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
  });

  it('the hung batch of a daemon pass fails its changes; the daemon goes on and repairs once ip answers', async () => {
    // The daemon's passes feed their batches to one long-lived `ip` (daemon/ip-session.ts):
    // it hangs on a line, not when it starts. This one passes each line on to the real ip
    // (through a FIFO, so that the process the daemon started is the one reading), and on
    // an `address add` while the marker is there, lets the real ip go, records its pid and
    // sleeps for ever, its stdout still open: no answer, until the daemon kills it.
    const marker = join(ns.dir, 'hang');
    const pidFile = join(ns.dir, 'stub-pids');
    const bin = join(ns.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'ip'),
      [
        '#!/bin/sh',
        `case " $* " in *" -force "*) ;; *) exec ${realIp} "$@";; esac`,
        `fifo=${ns.dir}/fifo.$$`,
        'mkfifo "$fifo"',
        `${realIp} "$@" < "$fifo" &`,
        'exec 4> "$fifo"',
        'rm "$fifo"',
        'while IFS= read -r line; do',
        `  case "$line" in "address add "*) if [ -e ${marker} ]; then exec 4>&-; echo $$ >> ${pidFile}; exec sleep 3600; fi;; esac`,
        `  printf '%s\\n' "$line" >&4`,
        'done',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'ip'), 0o755);
    const stub = {
      path: `${bin}:${process.env.PATH}`,
      pids: () =>
        existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : ([] as number[]),
    };
    // Every other ip (the passes' observations, ip monitor) is the real one through the stub:
    // a limit of 0.5 s would time them out too on a busy machine.
    daemon = new Daemon(ns, { PATH: stub.path, RS_AGENT_COMMAND_TIMEOUT: '3' });
    await daemon.waitFor((l) => l.event === 'ready');
    writeFileSync(marker, '');
    const mark = daemon.lines.length;
    await ns.ip(['addr', 'del', '192.0.2.10/32', 'dev', 'lo']);
    // The batch's changes fail (naming the command), as any failure of a pass's commands.
    const failed = await daemon.waitFor((l) => l.event === 'repair-failed', 10_000, mark);
    // Named as the runner names a one-off command's timeout, and what became of the child.
    expect(failed.message).toMatch(
      /: ip -force -json -batch - \(long-lived\): no answer after 3 s; killed it; the next pass starts another \(RS_AGENT_COMMAND_TIMEOUT sets the limit\)$/,
    );
    // Once is a warning (a pass racing the host fails once); the same item failing on
    // the next pass is an error.
    expect(failed.level).toBe('warning');
    const again = daemon.lines.length;
    await ns.ip(['addr', 'add', '192.0.2.98/32', 'dev', 'lo']);
    const twice = await daemon.waitFor((l) => l.event === 'repair-failed', 10_000, again);
    expect(twice).toMatchObject({ level: 'error', item: failed.item });
    expect(stub.pids().filter(alive)).toEqual([]);
    // Any pass now (an event) runs the real ip again and puts the VIP back.
    rmSync(marker);
    await ns.ip(['addr', 'add', '192.0.2.99/32', 'dev', 'lo']);
    expect(await eventually(async () => (await ns.addresses('lo')).some((a) => a.local === '192.0.2.10'), 10_000)).toBe(
      true,
    );
    daemon.signal('SIGTERM');
    expect(await daemon.exit()).toMatchObject({ exitCode: 0 });
  }, 30_000);
});

// An nft that is there but never answers its reads (a loaded machine's timeout): not a
// missing nftables. With arp.guard auto the guard is neither checked nor loaded that pass,
// and start says so; the VIPs go up behind the sysctls, and the next pass loads the guard.
describe('an nft whose list hangs', () => {
  it('start puts the VIPs behind the sysctls, fails naming the unread guard; the next start loads it', async () => {
    const realNft = (await execa('sh', ['-c', 'command -v nft'])).stdout.trim();
    const env = ns.stubCommand('nft', `case "$*" in *list*) exec sleep 3600;; esac\nexec ${realNft} "$@"`);
    const hung = await ns.cli(['start'], { ...env, RS_AGENT_COMMAND_TIMEOUT: '2' });
    expect(hung.exitCode).toBe(2);
    expect(hung.stderr).toMatch(
      /the ARP guard could not be read: nft -j list table arp rs_agent: no answer after 2 s; killed it \(RS_AGENT_COMMAND_TIMEOUT sets the limit\); not checked or loaded, ARP stays suppressed by the sysctls; the next start, check --fix or daemon pass tries again/,
    );
    expect(hung.stderr).not.toMatch(/install/);
    expect((await ns.addresses('lo')).map((a) => a.local)).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.11']);
    for (const dev of ['all', 'lo', 'eth0']) expect(await ns.sysctl(`net/ipv4/conf/${dev}/arp_ignore`)).toBe('1');
    expect(await ns.exec([realNft, 'list', 'tables'])).not.toMatch(/arp rs_agent/);
    // With nft answering again, the next pass loads the guard over the VIPs already there.
    const start = await ns.cli(['start']);
    expect(start).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await ns.exec([realNft, 'list', 'set', 'arp', 'rs_agent', 'vips4'])).toMatch(
      /elements = \{ 192\.0\.2\.10, 192\.0\.2\.11 \}/,
    );
  });
});
