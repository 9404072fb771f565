import { CommandError } from '../errors.js';
import type { Runner } from '../system/runner.js';
import type { SysctlFs } from '../system/sysctl-fs.js';
import { parseAddrShow, parseRouteShow, splitBatchOutput } from './ip-json.js';
import type { ActualLink, ActualState } from './types.js';

// The argv that reads links, addresses and main-table routes in one process.
export const OBSERVE_ARGV = ['ip', '-json', '-batch', '-'] as const;
export const OBSERVE_INPUT = 'addr show\nroute show table main\n';

// Reads the actual state: one `ip` process for links, addresses and routes, then the
// /proc/sys files that matter, which depend on the links found (every NIC's own).
export async function observe(
  runner: Runner,
  sysctlFs: SysctlFs,
  sysctlPathsFor: (links: ActualLink[]) => Iterable<string>,
): Promise<ActualState> {
  const result = await runner.run(OBSERVE_ARGV, { input: OBSERVE_INPUT });
  if (result.exitCode !== 0) throw new CommandError(OBSERVE_ARGV, result.stderr, result.exitCode);
  const [addrJson = '[]', routeJson = '[]'] = splitBatchOutput(result.stdout);
  const links = parseAddrShow(addrJson);
  const sysctls: Record<string, string | null> = {};
  for (const path of sysctlPathsFor(links)) sysctls[path] = sysctlFs.read(path);
  return { links, routes: parseRouteShow(routeJson, 4), sysctls };
}
