import { CommandError } from '../errors.js';
import type { Runner } from '../system/runner.js';
import type { SysctlFs } from '../system/sysctl-fs.js';
import { observeFou } from './fou.js';
import { parseAddrShow, parseRouteTable, splitBatchOutput } from './ip-json.js';
import { nftListArgv, readNftTable } from './nft-read.js';
import type { ActualNftTable, ActualState, NftTableState } from './types.js';

// The argv that reads links, addresses and main-table routes in one process.
export const OBSERVE_ARGV = ['ip', '-json', '-batch', '-'] as const;
export const OBSERVE_INPUT = 'addr show\nroute show table main\n';
// `ip -batch` lines cannot carry -6 and `route show` lists IPv4 only, so IPv6
// main-table routes take a process of their own, run only when IPv6 VIPs are in play.
export const OBSERVE_V6_ROUTES_ARGV = ['ip', '-json', '-6', 'route', 'show', 'table', 'main'] as const;

// The actual state but its sysctls: which of those matter depends on the links found
// (every NIC's own, the tunnel devices'), so they are read after, by readSysctls.
export type ActualObjects = Omit<ActualState, 'sysctls'>;

// One of rs-agent's nftables tables to read, with its own parser.
export interface NftTableRead {
  family: string;
  name: string;
  parse(json: string): NftTableState;
}

// Reads links, addresses and main-table routes in one `ip` process. With ipv6Routes, a
// second `ip` reads the IPv6 main table alongside the first; with fou, another reads the
// GUE listeners (`ip -batch` has no JSON for fou); each of `tables`, `nft -j` alongside.
export async function observeObjects(
  runner: Runner,
  options: { ipv6Routes?: boolean; fou?: boolean; tables?: readonly NftTableRead[] } = {},
): Promise<ActualObjects> {
  const tables = options.tables ?? [];
  const [result, v6, fou, ...read] = await Promise.all([
    runner.run(OBSERVE_ARGV, { input: OBSERVE_INPUT }),
    options.ipv6Routes ? runner.run(OBSERVE_V6_ROUTES_ARGV) : null,
    options.fou ? observeFou(runner) : undefined,
    ...tables.map((t) => readNftTable(runner, nftListArgv(t.family, t.name), (json) => t.parse(json))),
  ]);
  if (result.exitCode !== 0) throw new CommandError(OBSERVE_ARGV, result.stderr, result.exitCode);
  if (v6 && v6.exitCode !== 0) throw new CommandError(OBSERVE_V6_ROUTES_ARGV, v6.stderr, v6.exitCode);
  const [addrJson = '[]', routeJson = '[]'] = splitBatchOutput(result.stdout);
  const { routes, gateways } = parseRouteTable(routeJson, 4);
  if (v6) {
    const table6 = parseRouteTable(v6.stdout.trim() || '[]', 6);
    routes.push(...table6.routes);
    gateways.push(...table6.gateways);
  }
  return {
    links: parseAddrShow(addrJson),
    routes,
    gateways,
    ...(fou !== undefined ? { fou } : {}),
    ...(tables.length > 0
      ? { nft: Object.fromEntries(tables.map((t, i) => [`${t.family} ${t.name}`, read[i] as ActualNftTable])) }
      : {}),
  };
}

// Reads each /proc/sys file; null where there is none (a device gone, IPv6 disabled).
export function readSysctls(sysctlFs: SysctlFs, paths: Iterable<string>): Record<string, string | null> {
  const sysctls: Record<string, string | null> = {};
  for (const path of paths) sysctls[path] = sysctlFs.read(path);
  return sysctls;
}
