import type { ActualLink } from '../observe/types.js';
import type { LinkChange } from './types.js';

// Brings desired devices up; brings down devices rs-agent brought up and no longer needs.
export function linkPlan(desired: string[], links: readonly ActualLink[], owned: string[]): LinkChange[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const changes: LinkChange[] = [];
  for (const dev of desired) {
    const link = byName.get(dev);
    if (link?.up) continue;
    changes.push({ kind: 'link', action: 'up', target: dev, dev, from: link ? 'down' : 'absent', to: 'up' });
  }
  for (const dev of owned) {
    if (desired.includes(dev) || !byName.get(dev)?.up) continue;
    changes.push({ kind: 'link', action: 'down', target: dev, dev, from: 'up', to: 'down' });
  }
  return changes;
}
