import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/daemon.js';
import { FleetNetwork } from '../helpers/etcd-fleet.js';
import type { TestNamespace } from '../helpers/netns.js';

// A hostile store writer against a real etcd member and a real agent: whoever can
// write status/ or groups/ keys must not crash `fleet status`, forge its rows, drive
// the operator's terminal, or forge the agent's log lines.

const PREFIX = '/rs-agent/';
let net: FleetNetwork;
let agent: TestNamespace;
let daemon: ResultPromise;
let log = '';

// No raw control character (C0 but newline, DEL, C1) reaches a person's screen.
function expectEscaped(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
}

const fleet = (json = false) => net.fleetStatus(agent, json ? ['--json'] : []);

beforeAll(async () => {
  net = await FleetNetwork.create(1);
  await net.startAll();
  agent = await net.addConfiguredAgent('web-1', { pool: 'web' });
  await net.put(`${PREFIX}groups/web`, 'selector: {pool: web}\nvips: [192.0.2.10]\n');
  daemon = execa('ip', agent.cliArgv(['run', '--log-format', 'text']), { reject: false, buffer: false });
  daemon.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  expect(await eventually(async () => log.includes(' ready: '), 15_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  daemon?.kill('SIGTERM');
  await daemon;
  await net?.destroy();
}, 30_000);

describe('fleet status against hostile status records', () => {
  it('a record of the wrong type, escapes and a forged row: each is its host row saying so, never a crash', async () => {
    expect(await eventually(async () => (await fleet()).stdout.includes('web-1  in-sync'), 10_000)).toBe(true);
    const forgedRow = 'x\n\u001b[2K\rweb-9  in-sync  7  7  1  2030-01-01T00:00:00Z  -  -';
    const record = (host: string, fields: Record<string, unknown>) =>
      JSON.stringify({
        host,
        labels: {},
        version: '0.1.0',
        inSync: false,
        revision: 1,
        vips: 0,
        repairs: 0,
        drift: 1,
        held: [],
        wipeHeld: false,
        errors: [],
        lastError: null,
        lastOutage: null,
        updatedAt: new Date().toISOString(),
        heartbeatS: 3600,
        ...fields,
      });
    await net.put(`${PREFIX}status/bare`, '{"errors": 5}');
    await net.put(`${PREFIX}status/five`, record('five', { errors: 5 }));
    await net.put(`${PREFIX}status/text`, 'in-sync');
    await net.put(`${PREFIX}status/esc\u001b[31m`, '{}');
    await net.put(`${PREFIX}status/forger`, record('forger', { version: '\u001b]0;owned\u0007', errors: [forgedRow] }));
    const text = await fleet();
    expect(text.stderr).toBe('');
    expect(text.exitCode).toBe(1);
    expectEscaped(text.stdout);
    const lines = text.stdout.split('\n');
    expect(lines).toHaveLength(1 + 6 + 1); // the header, six hosts, the summary
    expect(lines.filter((l) => /^web-9/.test(l))).toEqual([]);
    expect(lines.find((l) => l.startsWith('five '))).toMatch(
      /^five +invalid .* invalid status record: errors: not a list of strings$/,
    );
    expect(lines.find((l) => l.startsWith('bare '))).toMatch(/^bare +invalid .* invalid status record: labels: /);
    expect(lines.find((l) => l.startsWith('text '))).toMatch(/invalid status record: not JSON$/);
    expect(lines.find((l) => l.startsWith('esc\\x1b[31m '))).toMatch(/invalid status record: key: /);
    expect(lines.find((l) => l.startsWith('forger '))).toContain('drift');
    expect(lines.find((l) => l.startsWith('forger '))).toContain('x\\n\\x1b[2K\\rweb-9  in-sync');
    expect(lines.find((l) => l.startsWith('web-1 '))).toMatch(/^web-1 +in-sync /);
    expect(lines.at(-1)).toMatch(/^6 hosts at store revision \d+: /);

    const json = await fleet(true);
    expect(json.exitCode).toBe(1);
    const hosts = (JSON.parse(json.stdout) as { hosts: { host: string; state: string; errors: string[] }[] }).hosts;
    expect(hosts.find((h) => h.host === 'forger')!.errors).toEqual([forgedRow]);
    expect(hosts.find((h) => h.host === 'five')!.state).toBe('invalid');
  });

  it('a store key with a newline reaches the text log as one escaped line of the agent', async () => {
    const key = `${PREFIX}groups/evil\n<3>2030-01-01T00:00:00.000Z error   forged`;
    await net.put(key, 'vips: [192.0.2.300]\n');
    expect(await eventually(async () => log.includes('groups/evil\\n<3>2030'), 10_000)).toBe(true);
    expectEscaped(log);
    for (const line of log.trimEnd().split('\n'))
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (info|warning|error) /);
    expect(log).not.toMatch(/^<3>/m);
  });
});
