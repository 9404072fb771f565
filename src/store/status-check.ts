import { isHostName, validateLabelMap } from '../config/store.js';
import type { HostStatus } from './status-record.js';

// A status record is written by whichever agent (or anyone else) can write the store,
// and `fleet status` shows every host's: each one is checked field by field before it
// is used, so a record of the wrong shape is that host's row saying so, never a crash
// or a made-up state for the whole fleet.

class StatusProblem extends Error {}

// The record under status/<host> as the agent writes it, or what is wrong with it.
export function parseStatusRecord(host: string, text: string): { status: HostStatus } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  try {
    return { status: checkStatus(host, value) };
  } catch (error) {
    if (error instanceof StatusProblem) return { problem: error.message };
    throw error;
  }
}

function checkStatus(host: string, value: unknown): HostStatus {
  const fail = (path: string, detail: string): never => {
    throw new StatusProblem(`${path}: ${detail}`);
  };
  if (!isHostName(host)) fail('key', 'the name after status/ is not a host name');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('record', 'not a JSON object');
  const r = value as Record<string, unknown>;
  const text = (key: string, max: number): string => {
    const v = r[key];
    if (typeof v !== 'string' || v.length > max) fail(key, `not a string of at most ${max} characters`);
    return v as string;
  };
  const count = (key: string): number => {
    const v = r[key];
    if (!Number.isSafeInteger(v) || (v as number) < 0) fail(key, 'not a whole number ≥ 0');
    return v as number;
  };
  const flag = (key: string): boolean => {
    if (typeof r[key] !== 'boolean') fail(key, 'not true or false');
    return r[key] as boolean;
  };
  const texts = (key: string): string[] => {
    const v = r[key];
    if (!Array.isArray(v) || v.some((item) => typeof item !== 'string')) fail(key, 'not a list of strings');
    return v as string[];
  };
  const time = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) || Number.isNaN(Date.parse(v)))
      fail(key, 'not a UTC time such as 2030-01-01T00:00:00.000Z');
    return v as string;
  };
  const outage = (key: string): HostStatus['lastOutage'] => {
    const v = r[key];
    if (v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) return fail(key, 'not null or {from, to}');
    const { from, to } = v as Record<string, unknown>;
    return { from: time(`${key}.from`, from), to: time(`${key}.to`, to) };
  };
  const seconds = (key: string): number => {
    const v = count(key);
    if (v < 1 || v > 3600) fail(key, 'not a number of seconds from 1 to 3600');
    return v;
  };
  const instanceId = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || !/^[0-9a-f]{1,32}$/.test(v)) fail(key, 'not an agent instance id (hex digits)');
    return v as string;
  };
  const drainState = (v: unknown): NonNullable<HostStatus['drain']> => {
    if (v !== 'pooled' && v !== 'draining' && v !== 'drained') return fail('drain', 'not pooled, draining or drained');
    return v;
  };
  // In the order an agent writes them: the first that is wrong is named.
  const status: HostStatus = {
    host,
    labels: validateLabelMap(r.labels, 'labels', fail),
    version: text('version', 64),
    inSync: flag('inSync'),
    revision: count('revision'),
    vips: count('vips'),
    repairs: count('repairs'),
    drift: count('drift'),
    held: texts('held'),
    wipeHeld: flag('wipeHeld'),
    errors: texts('errors'),
    lastError: r.lastError === null ? null : text('lastError', 4096),
    lastOutage: outage('lastOutage'),
    updatedAt: time('updatedAt', r.updatedAt),
    heartbeatS: seconds('heartbeatS'),
    // Agents before the instance id wrote neither.
    instance: r.instance === undefined ? undefined : instanceId('instance', r.instance),
    duplicate: r.duplicate === undefined || r.duplicate === null ? null : instanceId('duplicate', r.duplicate),
    // Agents before the fleet's drain wrote none of these.
    ...(r.drain === undefined ? {} : { drain: drainState(r.drain) }),
    ...(r.drainRefused === undefined
      ? {}
      : { drainRefused: r.drainRefused === null ? null : text('drainRefused', 4096) }),
    ...(r.connections === undefined ? {} : { connections: count('connections') }),
  };
  if (r.host !== host) fail('host', 'not the host the key names');
  return status;
}
