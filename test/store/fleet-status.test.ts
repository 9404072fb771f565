import { describe, expect, it } from 'vitest';
import { fleetRows } from '../../src/store/fleet-status.js';
import type { StoreView } from '../../src/store/host-desired.js';
import type { HostStatus } from '../../src/store/status-record.js';

const P = '/rs-agent/';
const NOW = Date.parse('2030-01-01T00:00:10Z');

function status(host: string, fields: Partial<HostStatus> = {}): string {
  const base: HostStatus = {
    host,
    labels: { pool: 'web' },
    version: '0.1.0',
    inSync: true,
    revision: 5,
    vips: 1,
    repairs: 0,
    drift: 0,
    held: [],
    wipeHeld: false,
    errors: [],
    lastError: null,
    lastOutage: null,
    updatedAt: '2030-01-01T00:00:09Z',
    heartbeatS: 2,
  };
  return JSON.stringify({ ...base, ...fields });
}

describe('fleet status', () => {
  it('tells in sync, behind, stale, drift, wipe-held and missing apart', () => {
    const view: StoreView = {
      revision: 40,
      entries: new Map(
        Object.entries({
          '/rs-agent/groups/web': { value: 'selector: {pool: web}\nvips: [192.0.2.10]', modRevision: 5 },
          '/rs-agent/hosts/late': { value: 'vips: [192.0.2.11]', modRevision: 7 },
          '/rs-agent/hosts/gone': { value: 'vips: [192.0.2.12]', modRevision: 8 },
          '/rs-agent/status/ok': { value: status('ok'), modRevision: 30 },
          '/rs-agent/status/late': { value: status('late'), modRevision: 31 },
          '/rs-agent/status/quiet': { value: status('quiet', { updatedAt: '2030-01-01T00:00:04Z' }), modRevision: 32 },
          '/rs-agent/status/drifted': { value: status('drifted', { inSync: false }), modRevision: 33 },
          '/rs-agent/status/held': { value: status('held', { wipeHeld: true }), modRevision: 34 },
        }),
      ),
    };
    const rows = fleetRows(P, view, NOW);
    expect(rows.map((r) => [r.host, r.state, r.revision, r.wanted])).toEqual([
      ['drifted', 'drift', 5, 5],
      ['gone', 'missing', null, 8],
      ['held', 'wipe-held', 5, 5],
      ['late', 'behind', 5, 7],
      ['ok', 'in-sync', 5, 5],
      ['quiet', 'stale', 5, 5],
    ]);
  });

  it("a record that is not what an agent writes is that host's row saying so; the others are read as usual", () => {
    const hostile: Record<string, string> = {
      five: JSON.stringify({ ...JSON.parse(status('five')), errors: 5 }),
      text: 'in-sync',
      list: '[]',
      other: status('web-1'),
      labels: JSON.stringify({ ...JSON.parse(status('labels')), labels: { pool: { a: 1 } } }),
      when: JSON.stringify({ ...JSON.parse(status('when')), updatedAt: 'tomorrow' }),
      outage: JSON.stringify({ ...JSON.parse(status('outage')), lastOutage: { from: 1, to: 2 } }),
      beat: JSON.stringify({ ...JSON.parse(status('beat')), heartbeatS: 0 }),
      'a\n<3>b': status('a\n<3>b'),
    };
    const entries = new Map(
      Object.entries(hostile).map(([host, value]) => [`/rs-agent/status/${host}`, { value, modRevision: 9 }]),
    );
    entries.set('/rs-agent/status/ok', { value: status('ok'), modRevision: 10 });
    const rows = fleetRows(P, { revision: 40, entries }, NOW);
    expect(Object.fromEntries(rows.map((r) => [r.host, [r.state, ...r.errors]]))).toEqual({
      ok: ['in-sync'],
      five: ['invalid', 'invalid status record: errors: not a list of strings'],
      text: ['invalid', 'invalid status record: not JSON'],
      list: ['invalid', 'invalid status record: record: not a JSON object'],
      other: ['invalid', 'invalid status record: host: not the host the key names'],
      labels: [
        'invalid',
        expect.stringMatching(/^invalid status record: labels\.pool: a mapping is not a label value/),
      ],
      when: ['invalid', 'invalid status record: updatedAt: not a UTC time such as 2030-01-01T00:00:00.000Z'],
      outage: ['invalid', 'invalid status record: lastOutage.from: not a UTC time such as 2030-01-01T00:00:00.000Z'],
      beat: ['invalid', 'invalid status record: heartbeatS: not a number of seconds from 1 to 3600'],
      'a\n<3>b': ['invalid', 'invalid status record: key: the name after status/ is not a host name'],
    });
  });
});

describe('fleet status: hosts whose status lease expired', () => {
  const seen = (host: string, seenAt: string) => JSON.stringify({ host, seenAt });

  it('a host seen before and whose status is gone is listed down, with when it was last seen; never hidden', () => {
    const entries = new Map(
      Object.entries({
        '/rs-agent/status/ok': { value: status('ok'), modRevision: 10 },
        '/rs-agent/tracked/ok': { value: seen('ok', '2030-01-01T00:00:09Z'), modRevision: 10 },
        '/rs-agent/tracked/dead': { value: seen('dead', '2029-12-31T23:50:00Z'), modRevision: 4 },
        '/rs-agent/tracked/odd': { value: '{"seenAt": 5}', modRevision: 5 },
        '/rs-agent/tracked/a\n<3>b': { value: seen('x', '2029-12-31T23:50:00Z'), modRevision: 6 },
      }),
    );
    const rows = fleetRows(P, { revision: 40, entries }, NOW);
    expect(Object.fromEntries(rows.map((r) => [r.host, [r.state, r.updatedAt, ...r.errors]]))).toEqual({
      ok: ['in-sync', '2030-01-01T00:00:09Z'],
      dead: ['down', '2029-12-31T23:50:00Z', 'no status since 2029-12-31T23:50:00Z: its lease expired'],
      odd: ['invalid', null, 'invalid tracked record: seenAt: not a time'],
      'a\n<3>b': ['invalid', null, 'invalid tracked record: key: the name after tracked/ is not a host name'],
    });
  });

  it("each host's drain and connections as its agent reported them, checked like the rest; a refusal first among its errors", () => {
    const entry = (value: string) => ({ value, modRevision: 30 });
    const view: StoreView = {
      revision: 40,
      entries: new Map(
        Object.entries({
          '/rs-agent/status/a': entry(status('a', { drain: 'pooled', connections: 3 })),
          '/rs-agent/status/b': entry(
            status('b', {
              drain: 'pooled',
              drainRefused: 'drain refused: budget 1 of group web in use',
              connections: 0,
            }),
          ),
          '/rs-agent/status/c': entry(status('c', { drain: 'drained', connections: 0 })),
          '/rs-agent/status/old': entry(status('old')),
          '/rs-agent/status/d': entry(JSON.stringify({ ...JSON.parse(status('d')), drain: 'gone fishing' })),
          '/rs-agent/status/e': entry(JSON.stringify({ ...JSON.parse(status('e')), connections: -1 })),
          '/rs-agent/status/f': entry(JSON.stringify({ ...JSON.parse(status('f')), drainRefused: 7 })),
        }),
      ),
    };
    const rows = fleetRows(P, view, NOW);
    expect(rows.map((r) => [r.host, r.state, r.drain, r.connections, r.errors[0] ?? null])).toEqual([
      ['a', 'in-sync', 'pooled', 3, null],
      ['b', 'in-sync', 'pooled', 0, 'drain refused: budget 1 of group web in use'],
      ['c', 'in-sync', 'drained', 0, null],
      ['d', 'invalid', null, null, 'invalid status record: drain: not pooled, draining or drained'],
      ['e', 'invalid', null, null, 'invalid status record: connections: not a whole number ≥ 0'],
      ['f', 'invalid', null, null, 'invalid status record: drainRefused: not a string of at most 4096 characters'],
      ['old', 'in-sync', null, null, null],
    ]);
  });
});
