import type { ActualLink } from '../observe/types.js';

// The device a configured name stands for: its own name or one of its altnames
// (/proc/sys knows a device only by its name, so sysctls use that).
export function findLink(links: readonly ActualLink[], name: string): ActualLink | undefined {
  return links.find((l) => l.name === name) ?? links.find((l) => l.altnames?.includes(name));
}
