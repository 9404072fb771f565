import type { Change, KeptProtection } from '../plan/types.js';

const SYMBOL: Record<string, string> = {
  load: '+',
  add: '+',
  up: '~',
  set: '~',
  restore: '~',
  down: '~',
  update: '~',
  delete: '-',
};

// One line per change, the same in plan, start, stop, check and the daemon's log.
export function formatChange(change: Change): string {
  const symbol = SYMBOL[change.action] ?? '?';
  switch (change.kind) {
    case 'module':
      return `${symbol} module ${change.module} (load; ${change.device ? `creates ${change.device}` : 'GUE listeners'})`;
    case 'sysctl': {
      const note = change.action === 'restore' ? ' (restore original)' : '';
      return `${symbol} sysctl ${change.target}: ${change.from ?? '(not yet present)'} → ${change.to}${note}`;
    }
    case 'link':
      return `${symbol} link ${change.dev}: ${change.from} → ${change.to}`;
    case 'address':
      if (change.action === 'update') return `${symbol} address ${change.target}: ${change.from} → ${change.to}`;
      return `${symbol} address ${change.target}${change.label ? ` label ${change.label}` : ''}`;
    case 'route':
      return `${symbol} route ${change.target}`;
    case 'nft':
      return change.action === 'delete'
        ? `${symbol} nft ${change.target}: ${change.from} → absent`
        : `${symbol} nft ${change.target}: ${change.from} → vips4 ${change.to}`;
    case 'fou':
      return `${symbol} fou ${change.target}`;
    case 'mss':
      return change.action === 'delete'
        ? `${symbol} mss ${change.target}: ${change.from} → absent`
        : `${symbol} mss ${change.target}: ${change.from} → ${change.to}`;
  }
}

// How a drifted item reads in `check`: what it is, what it is now, what it should be.
export function formatDrift(change: Change): string {
  switch (change.kind) {
    case 'address':
    case 'route':
    case 'fou':
      if (change.kind !== 'fou' && change.action === 'update') return formatChange(change).slice(2);
      return change.action === 'add'
        ? `${change.kind} ${change.target}: missing`
        : `${change.kind} ${change.target}: present but no longer configured`;
    default:
      return formatChange(change).slice(2);
  }
}

// Why a protective item stays although nothing desired asks for it.
export function formatKept(kept: KeptProtection): string {
  const restore = kept.original === null ? 'removed' : `restored to ${kept.original}`;
  return `= ${kept.item}: kept at ${kept.now}, still needed by ${kept.neededBy.join(', ')} (will be ${restore} by a stop once no such address remains)`;
}
