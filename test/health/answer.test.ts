import { describe, expect, it } from 'vitest';
import { healthAnswer, type HealthState } from '../../src/health/answer.js';

const inSync = { inSync: true, why: [] };
const drifted = {
  inSync: false,
  why: ['drift: address 192.0.2.10/32 dev lo', 'drift: sysctl net.ipv4.conf.all.arp_ignore'],
};
const draining = { state: 'draining' as const, since: '2030-01-01T00:00:00.000Z', by: 'operator' as const };
const drained = { ...draining, state: 'drained' as const };
const down = { ok: false, detail: 'http://127.0.0.1:8080/ping: connect ECONNREFUSED 127.0.0.1:8080' };
const up = { ok: true, detail: 'http://127.0.0.1:8080/ping answered 200' };

describe('healthAnswer', () => {
  it.each<[string, HealthState, typeof up | null, number | null, { status: number; lines: string[]; agent: string }]>([
    [
      'in sync, no check',
      { verdict: inSync, drain: null },
      null,
      null,
      { status: 200, lines: ['pooled: in sync'], agent: 'up ready' },
    ],
    [
      'in sync, service up, a weight',
      { verdict: inSync, drain: null },
      up,
      75,
      {
        status: 200,
        lines: ['pooled: in sync; service: http://127.0.0.1:8080/ping answered 200'],
        agent: 'up ready 75%',
      },
    ],
    [
      'draining',
      { verdict: inSync, drain: draining },
      up,
      null,
      { status: 503, lines: ['draining since 2030-01-01T00:00:00.000Z'], agent: 'drain' },
    ],
    [
      'drained',
      { verdict: inSync, drain: drained },
      null,
      null,
      { status: 503, lines: ['drained since 2030-01-01T00:00:00.000Z'], agent: 'maint' },
    ],
    [
      'drift: the verdict first reason, and how many more',
      { verdict: drifted, drain: null },
      null,
      null,
      {
        status: 503,
        lines: ['drift: address 192.0.2.10/32 dev lo (and 1 more)'],
        agent: 'down#drift: address 192.0.2.10/32 dev lo (and 1 more)',
      },
    ],
    [
      'service down',
      { verdict: inSync, drain: null },
      down,
      50,
      { status: 503, lines: [`service: ${down.detail}`], agent: `down#service: ${down.detail}` },
    ],
    [
      'no pass yet',
      { verdict: null, drain: null },
      null,
      null,
      {
        status: 503,
        lines: ['desired state unknown: no reconcile has finished yet'],
        agent: 'down#desired state unknown: no reconcile has finished yet',
      },
    ],
    [
      'drained and drifted and the service down: the drain first, every reason listed',
      { verdict: drifted, drain: drained },
      down,
      null,
      {
        status: 503,
        lines: [
          'drained since 2030-01-01T00:00:00.000Z',
          'drift: address 192.0.2.10/32 dev lo (and 1 more)',
          `service: ${down.detail}`,
        ],
        agent: 'maint',
      },
    ],
  ])('%s', (_name, state, service, weight, want) => {
    const a = healthAnswer(state, service, weight);
    expect({ status: a.status, lines: a.lines, agent: a.agent }).toEqual(want);
  });

  it('a damaged drain record reads as draining, with the problem', () => {
    const a = healthAnswer(
      { verdict: inSync, drain: { state: 'draining', since: null, by: null, problem: 'drain record /x is damaged' } },
      null,
    );
    expect(a.lines).toEqual(['draining: drain record /x is damaged']);
    expect(a.status).toBe(503);
  });

  it('the agent line is one printable line whatever the reason holds', () => {
    const a = healthAnswer({ verdict: { inSync: false, why: ['error: a\nb\u0007c'] }, drain: null }, null);
    expect(a.agent).toBe('down#error: a?b?c');
  });
});
