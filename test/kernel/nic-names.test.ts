import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// Any name the kernel takes for a NIC (1-15 bytes but '/', ':', whitespace; UTF-8 or
// not) is set up with interfaces: omitted, and rs-agent reads its own state file back.
// The names are given to ip by bash as $'\xHH...': a byte that is not UTF-8 cannot be
// passed through a JS string.

// veth pairs, as [name, peer, how the output shows each]. Printable: punctuation, a
// leading '-', quotes and a backslash, shell syntax, UTF-8. Bytes: an escape, a control
// byte, bytes that are not UTF-8 (0xff; 0x9b, a C1 CSI alone).
type Pair = [Buffer, Buffer, string, string];
const PRINTABLE: Pair[] = [
  [Buffer.from('a#b'), Buffer.from('-x'), 'a#b', '-x'],
  [Buffer.from('$(id);*'), Buffer.from('q"1\\'), '$(id);*', 'q"1\\'],
  [Buffer.from("x'y"), Buffer.from('ü0'), "x'y", 'ü0'],
];
const BYTES: Pair[] = [
  [Buffer.from('e\x1bc'), Buffer.from('z\x01'), 'e\\x1bc', 'z\\x01'],
  [Buffer.from([0x76, 0xff, 0x30]), Buffer.from([0x70, 0x9b]), 'v\\xff0', 'p\\x9b'],
];

// A name as bash's ANSI-C quoting spells it, every byte as \xHH.
function bashBytes(name: Buffer): string {
  return `$'${[...name].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`;
}

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

async function addPairs(pairs: Pair[]): Promise<void> {
  const script = pairs.map(([a, b]) => `ip -n ${ns.name} link add ${bashBytes(a)} type veth peer name ${bashBytes(b)}`);
  await execa('bash', ['-c', script.join(' && ')]);
}

// Every device's arp_ignore, read by a shell glob (bytes as they are), in a stable order.
async function arpIgnoreEverywhere(): Promise<string[]> {
  const out = await ns.exec(['sh', '-c', 'for d in /proc/sys/net/ipv4/conf/*; do cat "$d/arp_ignore"; done']);
  return out.split('\n');
}

// No raw control character (C0 but newline, DEL, C1) reaches a person's screen.
function expectEscaped(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\ufffd]/);
}

describe('NICs whose names the kernel accepts but ip -batch could not carry', () => {
  it.each([
    ['printable', PRINTABLE],
    ['with control characters and bytes that are not UTF-8', BYTES],
  ])('%s: start sets them up, check and status read the state file, stop restores every one', async (_, pairs) => {
    await addPairs(pairs);
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\narp: {guard: off}\n');
    const before = await arpIgnoreEverywhere();
    expect(before).toHaveLength(3 + 2 + pairs.length * 2); // all, default, lo, eth0 and its peer, the pairs
    expect(before.every((v) => v === '0')).toBe(true);

    const start = await ns.cli(['start']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    expectEscaped(start.stdout);
    for (const name of pairs.flatMap(([, , a, b]) => [a, b]))
      expect(start.stdout).toContain(`sysctl net.ipv4.conf.${name}.arp_ignore: 0 → 1`);
    expect((await arpIgnoreEverywhere()).every((v) => v === '1')).toBe(true);

    expect(await ns.cli(['check'])).toEqual({ exitCode: 0, stdout: 'in sync', stderr: '' });
    const status = await ns.cli(['status']);
    expect(status.exitCode).toBe(0);
    expectEscaped(status.stdout);
    const rows = status.stdout.split('\n').filter((l) => l.startsWith('  net.ipv4.conf.'));
    expect(new Set(rows.map((r) => r.search(/ [12] /)))).toHaveProperty('size', 1); // the columns line up
    const json = await ns.cli(['status', '--json']);
    expect(JSON.parse(json.stdout).inSync).toBe(true);

    const stop = await ns.cli(['stop']);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expectEscaped(stop.stdout);
    expect(await arpIgnoreEverywhere()).toEqual(before);
    expect(await ns.addresses('lo')).not.toContainEqual(expect.objectContaining({ local: '192.0.2.10' }));
  });

  it('the daemon sets up a NIC with an escape in its name as it appears, and its text log escapes it', async () => {
    ns.writeConfig('mode: dr\nvips: [192.0.2.10]\narp: {guard: off}\n');
    const run = execa('ip', ns.cliArgv(['run', '--log-format', 'text']), { reject: false, buffer: false });
    let log = '';
    run.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      // Waits up to 15 s (a loaded machine) for a line; on failure says what the log held.
      const until = async (what: string) => {
        for (let i = 0; i < 750 && !log.includes(what); i++) await new Promise((r) => setTimeout(r, 20));
        if (!log.includes(what)) throw new Error(`no ${JSON.stringify(what)} in 15 s; the log:\n${log}`);
      };
      await until(' ready: ');
      const name = bashBytes(Buffer.from('n\x1b[2J'));
      await execa('bash', ['-c', `ip -n ${ns.name} link add ${name} type veth peer name m0`]);
      // It starts protected (default is copied into it); reset, it is set again: a repair if
      // the daemon had seen the NIC before the reset, a change (a new NIC moves the desired
      // state) if the reset came first. Either way one line, its name escaped.
      await ns.exec(['bash', '-c', `echo 0 > /proc/sys/net/ipv4/conf/${name}/arp_ignore`]);
      await until('ed sysctl net.ipv4.conf.n\\x1b[2J.arp_ignore: 0 → 1');
      expect(log).toMatch(/ (repaired|changed) sysctl net\.ipv4\.conf\.n\\x1b\[2J\.arp_ignore: 0 → 1/);
      expectEscaped(log);
      // Every line is one of rs-agent's own: a time stamp, then the level.
      for (const line of log.trimEnd().split('\n'))
        expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (info|warning|error) /);
    } finally {
      run.kill('SIGTERM');
      await run;
    }
  });
});
