import fc from 'fast-check';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseVipAddress } from '../../src/config/address.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';

// Property: whatever the text, the loader returns a valid Config or throws a
// ConfigError with one line naming the file; never anything else.

function outcome(text: string): Config | ConfigError {
  try {
    return parseConfig(text, 'fuzz.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`threw ${String(error)} for ${JSON.stringify(text).slice(0, 300)}`);
  }
}

function expectCleanOutcome(text: string): void {
  const result = outcome(text);
  if (result instanceof ConfigError) {
    expect(result.message).toMatch(/^config fuzz\.yaml: \S/);
    expect(result.message).not.toContain('\n');
    return;
  }
  // A config that passed: every VIP a canonical host address, once, in a known mode.
  expect(result.vips.length).toBeGreaterThan(0);
  expect(new Set(result.vips.map((v) => v.address)).size).toBe(result.vips.length);
  for (const vip of result.vips) {
    expect(parseVipAddress(vip.address)).toEqual({ address: vip.address, family: vip.family });
    expect(['dr', 'tun']).toContain(vip.mode);
  }
  expect([1, 2]).toContain(result.arp.ignore);
  expect(result.arp.announce).toBe(2);
}

const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('010', '0x1', '', '-1', '1e2'));
const ipish = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
  fc.tuple(fc.ipV4(), fc.constantFrom('', '/32', '/24', '/0', '/33', '/')).map(([a, p]) => a + p),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.domain(),
);
const vipEntry = fc.oneof(
  ipish,
  fc.record(
    { address: fc.oneof(ipish, fc.anything()), mode: fc.constantFrom('dr', 'tun', 'nat', 'DR', '', 1) },
    { requiredKeys: ['address'] },
  ),
  fc.anything(),
);
const configShaped = fc.record(
  {
    mode: fc.oneof(fc.constantFrom('dr', 'tun', 'nat', 'gre'), fc.anything()),
    vips: fc.oneof(fc.array(vipEntry, { maxLength: 8 }), fc.anything()),
    interfaces: fc.oneof(
      fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('eth0', 'lo', 'a/b', 'x:1')), { maxLength: 4 }),
      fc.anything(),
    ),
    arp: fc.oneof(fc.record({ ignore: fc.anything(), announce: fc.anything() }, { requiredKeys: [] }), fc.anything()),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

const VALID =
  'mode: dr\nvips:\n  - 192.0.2.10\n  - address: 198.51.100.7\n    mode: tun\ninterfaces: [eth0]\narp: {ignore: 1, announce: 2}\n';

describe('config loader under fuzzing', () => {
  it('any text at all', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), expectCleanOutcome), { numRuns: 3000 });
  });

  it('any YAML document', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => expectCleanOutcome(dump(value, { skipInvalid: true } as never))),
      { numRuns: 2000 },
    );
  });

  it('config-shaped documents with bad and good values mixed', () => {
    fc.assert(
      fc.property(configShaped, (value) => expectCleanOutcome(dump(value, { skipInvalid: true } as never))),
      { numRuns: 2000 },
    );
  });

  it('a valid config with bytes inserted, deleted or replaced', () => {
    const edit = fc.record({
      at: fc.nat({ max: VALID.length }),
      cut: fc.nat({ max: 6 }),
      insert: fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
    });
    const mutated = fc
      .array(edit, { minLength: 1, maxLength: 4 })
      .map((edits) => edits.reduce((text, e) => text.slice(0, e.at) + e.insert + text.slice(e.at + e.cut), VALID));
    fc.assert(fc.property(mutated, expectCleanOutcome), { numRuns: 3000 });
  });
});
