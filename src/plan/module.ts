import type { ActualState } from '../observe/types.js';
import type { DesiredModule, ModuleChange } from './types.js';

// A tunnel module is loaded when its fallback device exists (it may also be built in);
// fou, which creates no device, when `ip fou show` answers. Modules are never
// unloaded: other tunnels on the host may use them.
export function modulePlan(desired: DesiredModule[], actual: Pick<ActualState, 'links' | 'fou'>): ModuleChange[] {
  const names = new Set(actual.links.map((l) => l.name));
  const loaded = (m: DesiredModule) => (m.device === null ? Array.isArray(actual.fou) : names.has(m.device));
  return desired
    .filter((m) => !loaded(m))
    .map((m) => ({
      kind: 'module',
      action: 'load',
      target: m.name,
      module: m.name,
      device: m.device,
      from: 'absent',
      to: 'loaded',
    }));
}
