import type { Change } from '../plan/types.js';

const SYMBOL: Record<string, string> = {
  load: '+', add: '+', up: '~', set: '~', restore: '~', down: '~', delete: '-',
};

// One line per change, the same in plan, start, stop, check and the daemon's log.
export function formatChange(change: Change): string {
  const symbol = SYMBOL[change.action] ?? '?';
  switch (change.kind) {
    case 'module':
      return `${symbol} module ${change.module} (load; creates ${change.device})`;
    case 'sysctl': {
      const note = change.action === 'restore' ? ' (restore original)' : '';
      return `${symbol} sysctl ${change.target}: ${change.from ?? '(not yet present)'} → ${change.to}${note}`;
    }
    case 'link':
      return `${symbol} link ${change.dev}: ${change.from} → ${change.to}`;
    case 'address':
      return `${symbol} address ${change.target}${change.label ? ` label ${change.label}` : ''}`;
    case 'route':
      return `${symbol} route ${change.target}`;
  }
}

// How a drifted item reads in `check`: what it is, what it is now, what it should be.
export function formatDrift(change: Change): string {
  switch (change.kind) {
    case 'address':
    case 'route':
      return change.action === 'add'
        ? `${change.kind} ${change.target}: missing`
        : `${change.kind} ${change.target}: present but no longer configured`;
    default:
      return formatChange(change).slice(2);
  }
}
