import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planStart } from '../../src/agent.js';
import { apply } from '../../src/apply/apply.js';
import { AgentError } from '../../src/errors.js';
import { emptyOwned, type Owned } from '../../src/objects/registry.js';
import { fakeAgent } from '../helpers/fake-agent.js';

// A state file that cannot be written (a full or read-only state directory) at each
// point of a pass: the result says what was applied before it, and nothing after it runs.
describe('apply when the state file cannot be written', () => {
  async function run(failAtSave: number, yaml = 'vips: [192.0.2.10]\ninterfaces: [eth0]\n') {
    const { kernel, opts } = fakeAgent(yaml);
    kernel.availableModules.add('ipip');
    const { changes, actual } = await planStart(opts);
    mkdirSync(opts.stateDir);
    let saves = 0;
    const result = await apply(changes, {
      runner: kernel,
      sysctlFs: kernel,
      owned: emptyOwned(),
      actual,
      batchDir: opts.stateDir,
      saveOwned: (_owned: Owned) => {
        if (++saves === failAtSave)
          throw new AgentError(
            'state file /run/rs-agent/state.json: cannot write: ENOSPC: no space left on device, write',
          );
      },
    });
    return { kernel, changes, result };
  }

  it('before the first change: nothing runs, every change is not attempted, the error is returned', async () => {
    const { kernel, changes, result } = await run(1);
    expect(kernel.mutatingCommands()).toEqual([]);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/cannot write: ENOSPC/);
    expect(result.outcomes.map((o) => o.status)).toEqual(changes.map(() => 'skipped'));
    expect(result.owned).toEqual(emptyOwned());
  });

  it('midway (originals of tunl0, created by modprobe): what ran is applied, nothing after it runs', async () => {
    const { kernel, changes, result } = await run(2, 'mode: tun\nvips: [198.51.100.7]\ninterfaces: [eth0]\n');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/cannot write: ENOSPC/);
    const applied = result.outcomes.filter((o) => o.status === 'applied');
    expect(
      applied.length,
      JSON.stringify(result.outcomes.map((o) => [o.change.target, o.status, o.error])),
    ).toBeGreaterThan(0);
    expect(applied.length).toBeLessThan(changes.length);
    expect(result.outcomes.slice(applied.length).every((o) => o.status === 'skipped')).toBe(true);
    expect(kernel.render().addresses).not.toContain('198.51.100.7/32 dev tunl0');
  });
});

// apply with an ip that fails as `fails` says (thrown as the runner throws), its saves kept.
async function applyWithFailingIp(yaml: string, fails: (argv: readonly string[]) => boolean, message: string) {
  const { kernel, opts } = fakeAgent(yaml);
  const { changes, actual } = await planStart(opts);
  mkdirSync(opts.stateDir);
  const run = kernel.run.bind(kernel);
  kernel.run = async (argv, options) => {
    if (argv[0] === 'ip' && fails(argv)) throw new AgentError(message);
    return run(argv, options);
  };
  const saved: Owned[] = [];
  const result = await apply(changes, {
    runner: kernel,
    sysctlFs: kernel,
    owned: emptyOwned(),
    actual,
    batchDir: opts.stateDir,
    saveOwned: (owned) => saved.push(owned),
  });
  return { changes, result, saved };
}

describe('apply when ip cannot be run at all', () => {
  it('the sysctls already written are reported as applied, the ip changes as failed with the reason', async () => {
    const { changes, result } = await applyWithFailingIp(
      'vips: [192.0.2.10]\ninterfaces: [eth0]\n',
      () => true,
      'ip: command not found in PATH',
    );
    expect(result.ok).toBe(false);
    expect(result.outcomes.map((o) => `${o.change.kind} ${o.status}`)).toEqual(
      changes.map((c) => `${c.kind} ${c.kind === 'sysctl' ? 'applied' : 'failed'}`),
    );
    expect(result.outcomes.at(-1)?.error).toBe('ip: command not found in PATH');
  });
});

describe('apply when the ip batch is killed at the timeout', () => {
  it('what the batch was to add stays recorded: it may have run in part, and stop must remove that part', async () => {
    const { result, saved } = await applyWithFailingIp(
      'vips: [192.0.2.10, 192.0.2.11]\ninterfaces: [eth0]\n',
      (argv) => argv.includes('-batch'),
      'ip -force -batch -: no answer after 10 s; killed it',
    );
    expect(result.ok).toBe(false);
    const addresses = (owned: Owned) => JSON.stringify(owned.address);
    expect(addresses(result.owned)).toContain('192.0.2.10');
    expect(addresses(result.owned)).toContain('192.0.2.11');
    expect(addresses(saved.at(-1)!)).toContain('192.0.2.11');
  });
});
