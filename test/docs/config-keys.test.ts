import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { documentedKeys } from '../helpers/config-reference.js';

// The configuration reference (docs/configuration.md) names every key the validator accepts and
// no other. The validator's keys are not listed anywhere but in its code, so they are asked of
// it: a mapping given an unknown key answers with the keys it expects.

const PROBE = 'zz_probe';
// What a mapping needs beside the probed key for the validator to reach it.
const NEEDS: Record<string, Record<string, unknown>> = {
  'source.etcd': { endpoints: ['https://192.0.2.1:2379'] },
};

// The config with `value` at `path` (dotted; "[]" a list's one entry), on a config that is valid without it.
function configWith(path: string[], value: unknown): unknown {
  const top: Record<string, unknown> = { vips: ['192.0.2.10'], host: 'rs1' };
  if (path.length === 0) return { ...top, ...(value as Record<string, unknown>) };
  let at: Record<string, unknown> = top;
  path.forEach((key, i) => {
    const here = path.slice(0, i + 1).join('.');
    const last = i === path.length - 1;
    if (key === '[]') return;
    const child: Record<string, unknown> = last ? (value as Record<string, unknown>) : { ...NEEDS[here] };
    if (path[i + 1] === '[]') {
      const entry = path[i + 2] === undefined ? value : { address: '192.0.2.10', ...child };
      at[key] = [entry];
      at = entry as Record<string, unknown>;
    } else {
      at[key] = child;
      at = child;
    }
  });
  return top;
}

// The keys the mapping at `path` accepts, or null when it is no mapping.
function keysAt(path: string[]): string[] | null {
  try {
    validateConfig(configWith(path, { [PROBE]: 1 }), 'probe');
  } catch (error) {
    const where = [...path, PROBE].join('.').replaceAll('.[].', '[0].');
    if (error instanceof ConfigError && error.keyPath === where) {
      const match = /^unknown key; expected one of (.*)$/.exec(error.detail);
      if (match?.[1]) return match[1].split(', ');
    }
  }
  return null;
}

// Every key path the validator accepts, "vips[].address" for a list entry's keys.
function validatorKeys(path: string[] = []): string[] {
  const keys = keysAt(path);
  if (keys === null) return [];
  return keys.flatMap((key) => {
    const child = [...path, key];
    const name = child.join('.').replaceAll('.[]', '[]');
    return [name, ...validatorKeys(child), ...validatorKeys([...child, '[]'])];
  });
}

describe('docs/configuration.md', () => {
  it('the probe finds keys at every depth (so an empty answer below means something)', () => {
    const keys = validatorKeys();
    expect(keys).toContain('mode');
    expect(keys).toContain('vips[].encap');
    expect(keys).toContain('tunnel.mss.ipv6');
    expect(keys).toContain('source.etcd.tls.key');
    expect(keys).toContain('drift.flap.max_backoff');
  });

  it('names every key the validator accepts, and no other', () => {
    expect([...documentedKeys()].sort()).toEqual([...validatorKeys()].sort());
  });
});
