// Every name the kernel accepts for a device (net/core/dev.c dev_valid_name: 1-15
// bytes, not "." or "..", no '/', ':' or whitespace, whitespace being the kernel's
// isspace, which also counts the byte 0xa0), so `vé0` is fine; minus what is unsafe
// in an `ip -batch` line or a log line: quotes, '#', backslash, a leading '-',
// control characters. A '.' (eth0.100) is fine in a /proc/sys path component.
export function interfaceNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  const bytes = Buffer.from(name);
  if (bytes.length > 15) return 'is longer than the 15 bytes Linux allows';
  if (name === '.' || name === '..') return 'is not a valid interface name';
  if (/[/:]/.test(name) || bytes.some((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0)) {
    return 'has a character Linux does not allow in an interface name (/, : or whitespace)';
  }
  // Unicode spaces too: the kernel takes them, but ip's batch line and a log reader would not.
  if (/[\p{Cc}\s\uFFFD]/u.test(name)) return 'has a control or space character';
  if (/["'#\\]/.test(name) || name.startsWith('-'))
    return 'has a character rs-agent does not pass to ip (quote, #, backslash or a leading -)';
  return null;
}
