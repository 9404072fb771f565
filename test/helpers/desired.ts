import { decodeOwned, type Owned } from '../../src/objects/registry.js';
import type { HostAddress, HostRoute } from '../../src/model/host.js';
import type { DesiredAddress } from '../../src/objects/address.js';
import type { DesiredFou } from '../../src/objects/fou.js';
import type { DesiredModule } from '../../src/objects/module.js';
import type { DesiredMss } from '../../src/objects/nft/mss-value.js';
import type { DesiredRoute } from '../../src/objects/route.js';
import type { DesiredSysctl } from '../../src/objects/sysctl.js';
import type { DesiredState } from '../../src/plan/plan.js';

// Each kind's part of a desired state, typed, for tests that look at one (the safety
// needs left out of addresses and routes: plan tests compare where things go).
export function parts(d: DesiredState) {
  return {
    modules: d.parts.module as DesiredModule[],
    links: d.parts.link as string[],
    sysctls: d.parts.sysctl as DesiredSysctl[],
    addresses: (d.parts.address as DesiredAddress[]).map(({ needs: _, ...a }): HostAddress => a),
    routes: (d.parts.route as DesiredRoute[]).map(({ needs: _, ...r }): HostRoute => r),
    fou: d.parts.fou as DesiredFou[],
    mss: (d.parts.nft as unknown[])[1] as DesiredMss[],
    problems: d.placement.problems,
  };
}

// A record of what rs-agent owns, written as the state file holds it (addresses, routes,
// sysctls, links, modules, fou, nft, mss).
export function ownedFrom(file: Record<string, unknown>): Owned {
  const owned = decodeOwned(file);
  if (typeof owned === 'string') throw new Error(owned);
  return owned;
}
