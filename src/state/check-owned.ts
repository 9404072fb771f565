import { isIPv6 } from 'node:net';
import { parseIPv4 } from '../config/address.js';
import { interfaceNameProblem, kernelNameProblem } from '../config/interface-name.js';

// The state file's contents reach /proc/sys paths and `ip` command lines (what stop
// undoes), so they are checked as strictly as the config: a damaged or hand-edited
// file must not make rs-agent write outside /proc/sys/net or run a crafted batch line.
// Returns what is wrong, naming the key path, or null.
export function ownedProblem(owned: unknown): string | null {
  if (!isObject(owned)) return 'owned is not a mapping';
  const sysctls = owned.sysctls ?? {};
  if (!isObject(sysctls)) return 'owned.sysctls is not a mapping';
  for (const [path, entry] of Object.entries(sysctls)) {
    if (!isSysctlPath(path)) return `owned.sysctls: ${JSON.stringify(path)} is not a net.ipv4/ipv6 conf sysctl`;
    if (!isObject(entry) || typeof entry.original !== 'string' || !/^-?\d{1,10}$/.test(entry.original)) {
      return `owned.sysctls[${JSON.stringify(path)}].original is not an integer value`;
    }
    if (entry.ifindex !== undefined && !(Number.isInteger(entry.ifindex) && (entry.ifindex as number) > 0)) {
      return `owned.sysctls[${JSON.stringify(path)}].ifindex is not a positive integer`;
    }
  }
  for (const key of ['addresses', 'routes'] as const) {
    const list = owned[key] ?? [];
    if (!Array.isArray(list)) return `owned.${key} is not a list`;
    for (const [i, item] of list.entries()) {
      const problem = hostProblem(item, key === 'addresses' ? 'address' : 'dst');
      if (problem) return `owned.${key}[${i}]${problem}`;
    }
  }
  const links = owned.links ?? [];
  if (!Array.isArray(links)) return 'owned.links is not a list';
  for (const [i, dev] of links.entries()) if (!isDevice(dev)) return `owned.links[${i}] is not an interface name`;
  const fou = owned.fou ?? [];
  if (!Array.isArray(fou)) return 'owned.fou is not a list';
  for (const [i, item] of fou.entries()) {
    if (!isObject(item) || (item.family !== 4 && item.family !== 6)) return `owned.fou[${i}].family is not 4 or 6`;
    if (!Number.isInteger(item.port) || (item.port as number) < 1 || (item.port as number) > 65535)
      return `owned.fou[${i}].port is not a UDP port`;
  }
  const modules = owned.modules ?? [];
  if (!Array.isArray(modules)) return 'owned.modules is not a list';
  for (const [i, name] of modules.entries()) {
    if (typeof name !== 'string' || !/^[a-z0-9_]{1,56}$/.test(name)) return `owned.modules[${i}] is not a module name`;
  }
  return null;
}

function hostProblem(item: unknown, field: 'address' | 'dst'): string | null {
  if (!isObject(item)) return ' is not a mapping';
  const address = item[field];
  const family = item.family;
  if (family !== 4 && family !== 6) return '.family is not 4 or 6';
  const valid = typeof address === 'string' && (family === 4 ? parseIPv4(address) !== null : isIPv6(address));
  if (!valid) return `.${field} is not an IPv${family} address`;
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(item.prefixlen) || (item.prefixlen as number) < 0 || (item.prefixlen as number) > max)
    return '.prefixlen is out of range';
  if (!isDevice(item.dev)) return '.dev is not an interface name';
  return null;
}

// A NIC's sysctl names the device as the kernel does (`a#b`, `-x`, an escape, bytes
// that are not UTF-8: with interfaces omitted every ethernet NIC is set up, whatever
// its name); it only ever becomes a /proc/sys path, never part of an ip command.
function isSysctlPath(path: string): boolean {
  const m = /^net\/ipv[46]\/conf\/([^/]+)\/([a-z_]+)$/.exec(path);
  return m !== null && kernelNameProblem(m[1] as string) === null;
}

// Devices that reach `ip -batch` lines (links brought up, addresses and routes on them).
function isDevice(name: unknown): boolean {
  return typeof name === 'string' && interfaceNameProblem(name) === null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
