import { CommandError } from '../errors.js';
import type { Runner } from '../system/runner.js';
import type { ActualFou } from './types.js';

// `ip fou show` lists the listeners of both families whatever -4/-6 says.
export const FOU_SHOW_ARGV = ['ip', '-json', 'fou', 'show'] as const;

interface IpFou {
  port?: number;
  family?: string;
  gue?: null;
  ipproto?: number;
}

// Pure parser of `ip -json fou show` (iproute2 6.1):
// [{"port":6080,"gue":null,"family":"inet"},{"port":7000,"ipproto":4,"family":"inet6"}]
export function parseFouShow(json: string): ActualFou[] {
  let value: unknown;
  try {
    value = JSON.parse(json.trim() === '' ? '[]' : json);
  } catch {
    throw new Error(`ip -json fou show printed something that is not JSON: ${json.slice(0, 80)}`);
  }
  if (!Array.isArray(value)) throw new Error('ip -json fou show printed JSON that is not a list');
  return (value as IpFou[]).flatMap((f): ActualFou[] => {
    if (typeof f.port !== 'number' || (f.family !== 'inet' && f.family !== 'inet6')) return [];
    const kind = 'gue' in f ? 'gue' : `ipproto ${f.ipproto ?? '?'}`;
    return [{ port: f.port, family: f.family === 'inet' ? 4 : 6, kind }];
  });
}

// The fou listeners, or null when the fou module is not loaded: its generic netlink
// family is then missing, and ip says "RTNETLINK answers: No such file or directory".
export async function observeFou(runner: Runner): Promise<ActualFou[] | null> {
  const result = await runner.run(FOU_SHOW_ARGV);
  if (result.exitCode === 0) return parseFouShow(result.stdout);
  if (/No such file or directory/.test(result.stderr)) return null;
  throw new CommandError(FOU_SHOW_ARGV, result.stderr, result.exitCode);
}
