import type { ActualLink } from '../observe/types.js';
import type { Owned } from './types.js';

// A sysctl original is recorded under its /proc/sys path, which names the device. A
// rename (udev, an operator, `ip link set eth0 name lan0`) moves the device's conf
// directory to the new name: without the ifindex the old path reads as absent and the
// original would be forgotten, and the new name's value (rs-agent's own) taken for one.

// The originals, each of a present device tagged with its ifindex if it was not yet.
export function recordIfindexes(sysctls: Owned['sysctls'], links: readonly ActualLink[]): Owned['sysctls'] {
  const byName = new Map(links.map((l) => [l.name, l.ifindex]));
  return Object.fromEntries(
    Object.entries(sysctls).map(([path, entry]) => {
      const ifindex = entry.ifindex ?? byName.get(deviceOf(path) ?? '');
      return [path, ifindex === undefined ? entry : { ...entry, ifindex }];
    }),
  );
}

// Moves each original whose device now has another name to that name's path.
export function followRenames(owned: Owned, links: readonly ActualLink[]): Owned {
  const byIndex = new Map(links.flatMap((l) => (l.ifindex === undefined ? [] : [[l.ifindex, l.name] as const])));
  const moved: [string, string][] = [];
  for (const [path, entry] of Object.entries(owned.sysctls)) {
    if (entry.ifindex === undefined) continue;
    const name = byIndex.get(entry.ifindex);
    const dev = deviceOf(path);
    if (name === undefined || dev === null || name === dev) continue;
    moved.push([path, path.replace(/^(net\/ipv[46]\/conf\/)[^/]+\//, `$1${name}/`)]);
  }
  if (moved.length === 0) return owned;
  const sysctls = { ...owned.sysctls };
  for (const [from] of moved) delete sysctls[from];
  // The moved original wins over one recorded under the new name: that one was taken
  // from a device that had the name before, or from rs-agent's own value.
  for (const [from, to] of moved) sysctls[to] = owned.sysctls[from] as Owned['sysctls'][string];
  return { ...owned, sysctls };
}

function deviceOf(path: string): string | null {
  return /^net\/ipv[46]\/conf\/([^/]+)\//.exec(path)?.[1] ?? null;
}
