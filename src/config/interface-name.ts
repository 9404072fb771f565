import { decodeBytes, encodeBytes } from '../system/byte-text.js';

// Every name the kernel accepts for a device (net/core/dev.c dev_valid_name: 1-15
// bytes, not "." or "..", no '/', ':' or whitespace, whitespace being the kernel's
// isspace, which also counts the byte 0xa0), UTF-8 or not (a byte that is not UTF-8 is
// held as in system/byte-text.ts). Such a name reaches only /proc/sys paths (a NIC's
// ARP sysctls) and the state file. Null when the kernel would take it.
export function kernelNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  const bytes = encodeBytes(name);
  if (decodeBytes(bytes) !== name) return 'is not a name read from the kernel';
  if (bytes.length > 15) return 'is longer than the 15 bytes Linux allows';
  if (name === '.' || name === '..') return 'is not a valid interface name';
  if (bytes.some((b) => b === 0x2f || b === 0x3a || b === 0 || b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0)) {
    return 'has a character Linux does not allow in an interface name (/, : or whitespace)';
  }
  return null;
}

// The kernel's names minus what is unsafe in an `ip -batch` line: quotes, '#',
// backslash, a leading '-', control and space characters, bytes that are not UTF-8.
// For the names rs-agent passes to ip (the config's, the devices it brings up and puts
// VIPs on). A '.' (eth0.100) is fine in a /proc/sys path component.
export function interfaceNameProblem(name: string): string | null {
  const problem = kernelNameProblem(name);
  if (problem) return problem;
  // Unicode spaces too: the kernel takes them, but ip's batch line and a log reader would not.
  if (/[\p{Cc}\s\uFFFD\ud800-\udfff]/u.test(name)) return 'has a control or space character';
  if (/["'#\\]/.test(name) || name.startsWith('-'))
    return 'has a character rs-agent does not pass to ip (quote, #, backslash or a leading -)';
  return null;
}
