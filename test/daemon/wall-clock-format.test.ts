import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WallClockFormat } from '../../src/daemon/wall-clock-format.js';

// WallClockFormat against the Intl.DateTimeFormat it stands in for in node-cron (in the
// bundle): the same parts for any time in zones with DST, half- and three-quarter-hour
// offsets, and a date line, including the hours around their transitions. Node follows a
// change of process.env.TZ at once, for Date and for Intl.

const PARTS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  weekday: 'short',
  hour12: false,
};
const OFFSET: Intl.DateTimeFormatOptions = { timeZone: undefined, timeZoneName: 'shortOffset' };
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
];
// 1970 to 2100, and the hours around this zone's transitions in 2026.
const TIMES = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });

// What node-cron keeps of a format's parts: it drops the literals, reads hour 24 as 0, and
// of the offset format only the zone's name.
function parts(format: { formatToParts(d: Date): Intl.DateTimeFormatPart[] }, date: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of format.formatToParts(date)) if (p.type !== 'literal') out[p.type] = p.value;
  if (out.hour === '24') out.hour = '00';
  return out;
}

// Instants within a day of each offset change of the current zone in 2026.
function transitions(): number[] {
  const out: number[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let t = start; t < start + 366 * 86_400_000; t += 3_600_000) {
    if (new Date(t).getTimezoneOffset() !== new Date(t + 3_600_000).getTimezoneOffset())
      for (let s = t - 86_400_000; s <= t + 86_400_000; s += 900_000) out.push(s);
  }
  return out;
}

const saved = process.env.TZ;
afterEach(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe('WallClockFormat', () => {
  it.each(ZONES)('gives the parts and the offset Intl gives, in %s', (zone) => {
    process.env.TZ = zone;
    const ours = { parts: new WallClockFormat('en-US', PARTS), offset: new WallClockFormat('en-US', OFFSET) };
    const intl = { parts: new Intl.DateTimeFormat('en-US', PARTS), offset: new Intl.DateTimeFormat('en-US', OFFSET) };
    const same = (t: number) => {
      const date = new Date(t);
      expect(parts(ours.parts, date)).toEqual(parts(intl.parts, date));
      expect(parts(ours.offset, date).timeZoneName).toBe(parts(intl.offset, date).timeZoneName);
    };
    for (const t of transitions()) same(t);
    fc.assert(fc.property(TIMES, same), { numRuns: 2000 });
  });

  it('reads the zone the process has now, as Intl does', () => {
    const date = new Date('2026-07-01T12:00:00Z');
    process.env.TZ = 'Asia/Kathmandu';
    expect(parts(new WallClockFormat('en-US', OFFSET), date).timeZoneName).toBe('GMT+5:45');
    process.env.TZ = 'America/St_Johns';
    expect(parts(new WallClockFormat('en-US', OFFSET), date).timeZoneName).toBe('GMT-2:30');
    expect(parts(new WallClockFormat('en-US', PARTS), date)).toMatchObject({ hour: '09', minute: '30' });
  });

  it('refuses a time zone or a locale it would not honour', () => {
    expect(() => new WallClockFormat('en-US', { ...PARTS, timeZone: 'Europe/Berlin' })).toThrow(
      'wall clock format: "en-US" in time zone "Europe/Berlin": only en-US in the local time zone',
    );
    expect(() => new WallClockFormat('de-DE', PARTS)).toThrow(/"de-DE"/);
  });
});
