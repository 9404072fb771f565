import { isIPv6 } from 'node:net';
import { parseIPv4 } from '../config/address.js';
import { interfaceNameProblem } from '../config/interface-name.js';
import { AgentError } from '../errors.js';
import { isObject } from './owned-list.js';

// The state file's addresses and routes reach `ip` command lines (what stop undoes), so
// they are checked as strictly as the config: a damaged or hand-edited file must not
// make rs-agent run a crafted batch line. What is wrong, after the entry's key path, or null.
export function checkHost(item: unknown, field: 'address' | 'dst'): string | null {
  if (!isObject(item)) return ' is not a mapping';
  const address = item[field];
  const family = item.family;
  if (family !== 4 && family !== 6) return '.family is not 4 or 6';
  const valid = typeof address === 'string' && (family === 4 ? parseIPv4(address) !== null : isIPv6(address));
  if (!valid) return `.${field} is not an IPv${family} address`;
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(item.prefixlen) || (item.prefixlen as number) < 0 || (item.prefixlen as number) > max)
    return '.prefixlen is out of range';
  if (typeof item.dev !== 'string' || interfaceNameProblem(item.dev) !== null) return '.dev is not an interface name';
  return null;
}

// A value for an `ip -batch` line. Every name and address in a line was validated (or
// read from the kernel) before it got here; there is no shell in between, and a value
// that ip's batch reader would split, quote or take as a comment or an option is refused
// here as a last line of defence.
export function token(value: string): string {
  if (/^[^\s"'#\\-][^\s"'#\\]*$/.test(value)) return value;
  throw new AgentError(`refusing to pass ${JSON.stringify(value)} to ip: not an interface name or address`);
}
