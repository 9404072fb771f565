import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without types
import { configManPage } from '../../deb/config-man.mjs';
import { documentedKeys, REFERENCE } from '../helpers/config-reference.js';

// rs-agent.yaml(5) is made from docs/configuration.md when the package is built: every key of
// the reference is an entry of its KEYS section, in the same order, with its default.

const page = (configManPage as (markdown: string) => string)(REFERENCE);
const section = (name: string) => page.split(/^\.SH /m).find((s) => s.startsWith(`${name}\n`)) ?? '';

describe('rs-agent.yaml(5)', () => {
  it('has an entry for every key of the reference, and no other', () => {
    const keys = [...section('KEYS').matchAll(/^\.TP\n\.B (.*)$/gm)].map((m) =>
      (m[1] as string).replaceAll('\\-', '-'),
    );
    expect(keys).toEqual(documentedKeys());
  });

  it("gives a key's type and default, with groff's escapes", () => {
    expect(section('KEYS')).toContain(
      '.TP\n.B drift.sysctl_interval\nduration, 50 ms to 60 s. Default: \\fB100ms\\fR.\nhow often the sysctls rs\\-agent set are re\\-read (they send no events)',
    );
  });

  it('carries the example and the environment', () => {
    expect(section('EXAMPLE')).toContain('  guard: auto');
    expect(section('ENVIRONMENT')).toContain('.B RS_AGENT_COMMAND_TIMEOUT');
  });
});
