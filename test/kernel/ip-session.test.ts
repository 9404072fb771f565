import { execa } from 'execa';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IP_BATCH_ARGV } from '../../src/apply/ip-batch.js';
import { IpSession, sessionRunner } from '../../src/daemon/ip-session.js';
import type { CommandResult, Runner, RunOptions } from '../../src/system/runner.js';
import { TestNamespace } from '../helpers/netns.js';

// The daemon's long-lived `ip -force -json -batch -` (daemon/ip-session.ts) on the real ip
// and kernel, in a namespace: the `ip` on PATH here is `ip -n NS`, so the session's batches
// change the test's namespace, never the machine's. What a fake cannot show: ip's own
// error lines and numbering, which the session turns into a batch's of its own.

let ns: TestNamespace;
let path: string | undefined;
let session: IpSession | null = null;
beforeEach(async () => {
  ns = await TestNamespace.create();
  path = process.env.PATH;
});
afterEach(async () => {
  session?.stop();
  session = null;
  process.env.PATH = path;
  await ns.destroy();
});

// Puts `ip -n NS` first on PATH, for the session's children; `before` runs in the stub
// first (a shell condition to hang on).
async function ipInNamespace(before = ''): Promise<void> {
  const realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout.trim();
  const env = ns.stubCommand('ip', `${before}\nexec ${realIp} -n ${ns.name} "$@"`);
  process.env.PATH = env.PATH;
}

const lines = (...l: string[]) => Buffer.from(l.map((x) => `${x}\n`).join(''));
const vipsOnLo = async () => (await ns.addresses('lo')).map((a) => a.local);

describe('the long-lived ip session', () => {
  it('numbers the failed lines of each batch from 1, as a batch of its own, across batches', async () => {
    await ipInNamespace();
    session = new IpSession(() => null, 10_000);
    const first = await session.run(lines('address add 192.0.2.10/32 dev lo', 'address del 192.0.2.77/32 dev lo'));
    expect(first.at(-1)).toBe('Command failed -:2');
    expect(first.filter((l) => l.startsWith('Command failed'))).toHaveLength(1);
    // The same child: its own numbering has gone on (3 lines and the end line before).
    const second = await session.run(
      lines('address del 192.0.2.78/32 dev lo', 'address add 192.0.2.11/32 dev lo', 'address del 192.0.2.79/32 dev lo'),
    );
    expect(second.filter((l) => l.startsWith('Command failed'))).toEqual(['Command failed -:1', 'Command failed -:3']);
    // A batch that fails nowhere: no line at all.
    expect(await session.run(lines('address del 192.0.2.11/32 dev lo'))).toEqual([]);
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
  });

  it('runs a small batch of a pass holding the lock itself, and a larger one as an ip of its own', async () => {
    await ipInNamespace();
    session = new IpSession(() => null, 10_000);
    const lockFd = openSync(join(ns.dir, 'lock'), 'w+');
    const calls: (readonly string[])[] = [];
    const base: Runner = {
      async run(argv: readonly string[], _options?: RunOptions): Promise<CommandResult> {
        calls.push(argv);
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    };
    const runner = sessionRunner(base, session, () => lockFd);
    const batchFile = (text: string) => {
      const file = join(ns.dir, `batch-${calls.length}-${text.length}`);
      writeFileSync(file, text);
      return openSync(file, 'r');
    };
    try {
      const small = batchFile('address add 192.0.2.10/32 dev lo\n');
      const ran = await runner.run(IP_BATCH_ARGV, { stdinFile: small, lockFd });
      expect(ran).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      expect(calls).toEqual([]);
      expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
      // Over 4096 bytes with the request's end line (17 bytes): not one pipe write, so not
      // the session's. 124 lines of 33 bytes are 4092, 4109 with it.
      const lineText = 'address del 192.0.2.77/32 dev lo\n';
      const large = batchFile(lineText.repeat(124));
      await runner.run(IP_BATCH_ARGV, { stdinFile: large, lockFd });
      expect(calls).toEqual([IP_BATCH_ARGV]);
      // Nor a batch of a pass that does not hold this lock.
      await runner.run(IP_BATCH_ARGV, { stdinFile: batchFile('address add 192.0.2.11/32 dev lo\n') });
      expect(calls).toHaveLength(2);
      expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
      for (const fd of [small, large]) closeSync(fd);
    } finally {
      closeSync(lockFd);
    }
  });

  it('kills an ip that does not answer, once it has exited fails naming it, and starts another', async () => {
    const marker = join(ns.dir, 'hang');
    const pidFile = join(ns.dir, 'pid');
    await ipInNamespace(`if [ -e ${marker} ]; then echo $$ > ${pidFile}; exec sleep 3600; fi`);
    writeFileSync(marker, '');
    session = new IpSession(() => null, 1_000);
    await expect(session.run(lines('address add 192.0.2.10/32 dev lo'))).rejects.toThrow(
      /^ip -force -json -batch - \(long-lived\): no answer after 1 s; killed it; the next pass starts another \(RS_AGENT_COMMAND_TIMEOUT sets the limit\)$/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(existsSync(`/proc/${pid}`)).toBe(false); // exited and reaped before the error
    rmSync(marker);
    expect(await session.run(lines('address add 192.0.2.10/32 dev lo'))).toEqual([]);
    expect(await vipsOnLo()).toEqual(['127.0.0.1', '192.0.2.10']);
  });
});
