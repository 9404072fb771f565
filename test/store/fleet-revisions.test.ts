import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocumentRevisions } from '../../src/store/fleet-status.js';
import { DocumentBook, type StoreEntry, type StoreView } from '../../src/store/host-desired.js';

const P = '/rs-agent/';
const HOSTS = ['a', 'b', 'c'];
const LABELS: Record<string, string>[] = [{}, { pool: 'web' }, { pool: 'db' }, { pool: 'web', zone: 'x' }];

// Values a key may hold: valid groups with and without a selector, valid host documents,
// and values a document refuses (not YAML, empty, a bad VIP, an unknown key).
const documentValue = fc.constantFrom(
  'vips: [192.0.2.10]',
  'selector: {pool: web}\nvips: [192.0.2.11]',
  'selector: {pool: db}\nvips: [192.0.2.12]',
  'selector: {zone: x}\nmode: tun\nvips: [192.0.2.13]',
  '{{{',
  '',
  'vips: [300.1.1.1]',
  'colour: red\nvips: [192.0.2.14]',
);
const entry = fc.tuple(
  fc.constantFrom(
    'groups/g1',
    'groups/g2',
    'groups/g3',
    'hosts/a',
    'hosts/b',
    'hosts/z',
    'allow-empty/a',
    'allow-empty/all',
    'status/a',
    'drain/a',
    'drain-budget/g1',
    'tracked/b',
  ),
  documentValue,
  fc.integer({ min: 1, max: 1000 }),
);

describe('the revision each host wants, indexed once for the fleet', () => {
  it("equals what the host's own document book counts, for any view", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        const view: StoreView = {
          revision: 1001,
          entries: new Map<string, StoreEntry>(
            entries.map(([key, value, modRevision]) => [P + key, { value, modRevision }]),
          ),
        };
        const index = new DocumentRevisions(P, view);
        for (const host of HOSTS)
          for (const labels of LABELS)
            expect(index.wanted(host, labels)).toBe(new DocumentBook(P, host, labels).resolve(view).docRevision);
      }),
      { numRuns: 300 },
    );
  });
});
