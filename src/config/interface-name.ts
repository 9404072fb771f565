// Linux interface names: 1-15 bytes, no '/', ':', whitespace, not "." or "..".
export function interfaceNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name) > 15) return 'is longer than the 15 characters Linux allows';
  if (name === '.' || name === '..') return 'is not a valid interface name';
  if (/[/:\s]/.test(name) || /[^\x21-\x7e]/.test(name)) return 'has a character Linux does not allow in an interface name';
  return null;
}
