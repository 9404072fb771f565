import { describe, expect, it } from 'vitest';
import { fleetRows } from '../../src/source/fleet-status.js';
import type { StoreView } from '../../src/source/host-desired.js';
import type { HostStatus } from '../../src/source/status-record.js';

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
});
