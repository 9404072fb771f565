import type { ActualFou } from '../observe/types.js';
import { diffOwned } from './set-diff.js';
import type { DesiredFou, FouChange, FouListener, Problem } from './types.js';

// As `ip fou show` prints a GUE listener.
export function fouKey(f: FouListener): string {
  return `port ${f.port} gue${f.family === 6 ? ' -6' : ''}`;
}

// Adds the GUE listeners the config's GUE VIPs need; deletes the ones rs-agent added
// and no longer needs. A listener someone else added (before rs-agent, or by hand) is
// theirs: used if it is GUE, never deleted. A port held by a fou listener of another
// kind is left alone (fouProblems reports it).
export function fouPlan(
  desired: readonly DesiredFou[],
  actual: readonly ActualFou[] | null | undefined,
  owned: readonly FouListener[],
): FouChange[] {
  const present = actual ?? [];
  const gue = present.filter((f) => f.kind === 'gue').map(pick);
  const taken = new Set(present.filter((f) => f.kind !== 'gue').map((f) => fouKey(f)));
  const { add, remove } = diffOwned(desired.map(pick), gue, owned.map(pick), fouKey);
  return [
    ...remove.map((f): FouChange => ({
      kind: 'fou',
      action: 'delete',
      target: fouKey(f),
      from: 'present',
      to: 'absent',
      ...f,
    })),
    ...add
      .filter((f) => !taken.has(fouKey(f)))
      .map((f): FouChange => ({ kind: 'fou', action: 'add', target: fouKey(f), from: 'absent', to: 'present', ...f })),
  ];
}

// A GUE port held by a fou listener of another kind: the kernel refuses a second
// listener on it, and the one there decapsulates something else, so the VIPs that
// use the port receive nothing until the operator frees it or picks another port.
// (A port held by an ordinary UDP socket shows when `ip fou add` fails.)
export function fouProblems(
  desired: readonly DesiredFou[],
  actual: readonly ActualFou[] | null | undefined,
): Problem[] {
  return desired.flatMap((f) => {
    const other = (actual ?? []).find((a) => a.port === f.port && a.family === f.family && a.kind !== 'gue');
    if (!other) return [];
    return [
      {
        item: `fou ${fouKey(f)}`,
        message:
          `GUE port ${f.port} (IPv${f.family}) is taken by a fou listener of another kind (port ${f.port} ${other.kind}${f.family === 6 ? ' -6' : ''}), ` +
          `not rs-agent's: ${f.vips.join(', ')} receive no GUE packets; remove it (ip fou del port ${f.port}${f.family === 6 ? ' -6' : ''}) or choose another port`,
      },
    ];
  });
}

function pick(f: FouListener): FouListener {
  return { port: f.port, family: f.family };
}
