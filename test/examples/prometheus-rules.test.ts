import { execa } from 'execa';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../helpers/temp-dir.js';

// examples/prometheus/rs-agent.rules.yml checked and unit-tested by promtool against the
// series in rs-agent.rules.test.yml (each alert fires when it should, and only then).
const ROOT = resolve(import.meta.dirname, '../..');
const RULES = join(ROOT, 'examples/prometheus/rs-agent.rules.yml');
const TESTS = join(ROOT, 'test/examples/rs-agent.rules.test.yml');
const tempDir = useTempDir('rsa-promtool-');

describe('Prometheus alert rules', () => {
  it('promtool check rules: nine valid rules', async () => {
    const r = await execa('promtool', ['check', 'rules', RULES], { reject: false });
    expect(r.stdout).toContain('SUCCESS: 9 rules found');
    expect(r.exitCode).toBe(0);
  });

  it('promtool test rules: every alert fires on its series and stays silent on a healthy host', async () => {
    const r = await execa('promtool', ['test', 'rules', TESTS], { reject: false });
    expect(r.stdout).toContain('SUCCESS');
    expect(r.exitCode).toBe(0);
  });

  it('the tests catch a rule that has gone wrong (a threshold ten times too lax)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'examples/prometheus'), { recursive: true });
    mkdirSync(join(dir, 'test/examples'), { recursive: true });
    writeFileSync(
      join(dir, 'examples/prometheus/rs-agent.rules.yml'),
      readFileSync(RULES, 'utf8').replace(
        'rs_agent_last_reconcile_timestamp_seconds > 300',
        'rs_agent_last_reconcile_timestamp_seconds > 3000',
      ),
    );
    copyFileSync(TESTS, join(dir, 'test/examples/rs-agent.rules.test.yml'));
    const r = await execa('promtool', ['test', 'rules', join(dir, 'test/examples/rs-agent.rules.test.yml')], {
      reject: false,
    });
    expect(r.stdout + r.stderr).toMatch(/FAILED:[\s\S]*RsAgentNoReconcile/);
    expect(r.exitCode).not.toBe(0);
  });
});
