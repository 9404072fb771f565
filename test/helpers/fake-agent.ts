import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { AgentOptions } from '../../src/agent.js';
import { FakeKernel } from './fake-kernel.js';

// Agent options wired to a fake kernel, with a fresh config file and state dir, both
// removed when the calling test ends.
export function fakeAgent(
  yaml: string,
  kernel = new FakeKernel().addLink('eth0'),
): { kernel: FakeKernel; opts: AgentOptions; setConfig(yaml: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rsa-fake-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'rs-agent.yaml');
  writeFileSync(configPath, yaml);
  return {
    kernel,
    opts: { configPath, stateDir: join(dir, 'state'), runner: kernel, sysctlFs: kernel, skipPrivilegeCheck: true },
    setConfig: (text) => writeFileSync(configPath, text),
  };
}
