import type { ActualLink } from '../observe/types.js';
import type { DesiredModule, ModuleChange } from './types.js';

// A tunnel module is loaded when its fallback device exists (it may also be built in).
// Modules are never unloaded: other tunnels on the host may use them.
export function modulePlan(desired: DesiredModule[], links: readonly ActualLink[]): ModuleChange[] {
  const names = new Set(links.map((l) => l.name));
  return desired
    .filter((m) => !names.has(m.device))
    .map((m) => ({ kind: 'module', action: 'load', target: m.name, module: m.name, device: m.device, from: 'absent', to: 'loaded' }));
}
