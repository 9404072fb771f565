import type { ChangeBase } from '../model/change.js';
import { devicesOfModule, FOU_MODULE } from '../model/devices.js';
import type { Placement } from '../model/placement.js';
import { deviceKey, moduleKey } from '../model/safety-keys.js';
import type { ObjectKind, PlanContext } from './kind.js';
import { decodeList, listAfter } from './owned-list.js';

// Kernel modules: the tunnel modules, whose fallback devices receive every tunnelled
// packet no other tunnel claims (tunl0, ip6tnl0, gre0, ip6gre0), and fou for GUE. A
// tunnel module counts as loaded when its fallback device exists (it may be built in);
// fou, which creates no device, when `ip fou show` answers. Never unloaded: other
// tunnels on the host may use them; rs-agent records which it loaded, for status.

// The modules-load.d file `rs-agent install` writes: systemd-modules-load loads it at boot,
// and the units' privileged ExecStartPre loads it again for the daemon, which runs
// without CAP_SYS_MODULE.
export const MODULES_LOAD = '/etc/modules-load.d/rs-agent.conf';

export interface DesiredModule {
  name: string;
  device: string | null; // the fallback device it creates; null for fou
}

export interface ModuleChange extends ChangeBase {
  kind: 'module';
  action: 'load';
  module: string;
  device: string | null;
}

export function desireModules(placement: Placement): DesiredModule[] {
  const modules: DesiredModule[] = placement.tunnels.flatMap((t) =>
    t.module ? [{ name: t.module, device: t.device }] : [],
  );
  if (placement.vips.some((v) => v.encap === 'gue')) modules.push({ name: FOU_MODULE, device: null });
  return modules;
}

function planModules(desired: DesiredModule[], _owned: string[], { actual }: PlanContext) {
  const names = new Set(actual.links.map((l) => l.name));
  const loaded = (m: DesiredModule) => (m.device === null ? Array.isArray(actual.fou) : names.has(m.device));
  const changes = desired
    .filter((m) => !loaded(m))
    .map((m): ModuleChange => ({
      kind: 'module',
      action: 'load',
      target: m.name,
      module: m.name,
      device: m.device,
      from: 'absent',
      to: 'loaded',
      safety: {
        provides: [moduleKey(m.name), ...(m.device === null ? [] : devicesOfModule(m.name).map(deviceKey))],
        needs: [],
      },
    }));
  return { changes };
}

export const moduleKind: ObjectKind<ModuleChange, DesiredModule[], string[]> = {
  kind: 'module',
  rank: { load: 0 },
  execute: { via: 'module', module: (c) => c.module },
  desire: desireModules,
  plan: planModules,
  owned: {
    empty: () => [],
    decode: (owned) =>
      decodeList<string>(owned.modules, 'modules', (name) =>
        typeof name === 'string' && /^[a-z0-9_]{1,56}$/.test(name) ? null : ' is not a module name',
      ),
    encode: (modules) => ({ modules }),
    // Never unloaded, so never forgotten, and no reason by itself to keep a record.
    isEmpty: () => true,
    after: (before, steps) =>
      listAfter(
        before,
        steps,
        (m) => m,
        (c) => c.module,
      ),
  },
  render: (c) => `+ module ${c.module} (load; ${c.device ? `creates ${c.device}` : 'GUE listeners'})`,
};
