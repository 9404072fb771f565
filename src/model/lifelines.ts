import type { Problem } from './change.js';
import { isVipHome, type LinkLike } from './devices.js';

// The addresses a host's own connectivity rests on: its NICs' addresses, its default
// routes' gateways, its store's endpoints. None of them may be a VIP, whatever names it
// (the file, the store, the state a restart takes back): on lo the kernel takes a VIP
// for one of the host's own addresses, so the host answers for its gateway or its store
// itself, and never reaches them again; and in the ARP guard's set a NIC's own address
// has its ARP dropped, so the host falls off its network once its neighbours' caches
// expire. The one rule, computed once per pass: placement refuses these VIPs and the ARP
// guard never covers these addresses.

export interface Lifeline {
  address: string; // canonical text, as addresses are compared everywhere
  what: string; // what it is, e.g. "eth0's own address (198.51.100.2/24)"
  harm: string; // what a VIP there would do to the host
}

interface LinkWithAddresses extends LinkLike {
  addresses: readonly { address: string; prefixlen: number; family: 4 | 6 }[];
}

// A configured store endpoint and the addresses it stands for (its literal IP, or what
// its host name resolved to; none while the name does not resolve).
export interface StoreEndpoint {
  key: string; // source.etcd.endpoints[N]
  url: string;
  name: string | null; // the host name, when the endpoint names one rather than an IP
  addresses: string[];
  error?: string; // why the name stands for no address now (it does not resolve)
}

// The host's lifelines by address; where one address is several of them, the first named
// here (a NIC's own address, then a gateway, then the store).
export function lifelines(
  links: readonly LinkWithAddresses[],
  gateways: readonly string[] = [],
  store: readonly StoreEndpoint[] = [],
): Map<string, Lifeline> {
  const out = new Map<string, Lifeline>();
  const add = (line: Lifeline) => {
    if (!out.has(line.address)) out.set(line.address, line);
  };
  for (const link of links) {
    // lo and the tunnel devices hold VIPs (rs-agent's and others'): what is there is
    // what the rule protects, not the host's own. Every other device faces the wire.
    if (isVipHome(link)) continue;
    for (const a of link.addresses) add(nicAddress(link.name, a));
  }
  for (const gateway of gateways)
    add({
      address: gateway,
      what: "the default route's gateway",
      harm: "the host would take its gateway's address for its own and never reach its gateway again",
    });
  for (const endpoint of store) {
    const via = endpoint.name === null ? '' : ` (${endpoint.name} resolves to it)`;
    for (const address of endpoint.addresses)
      add({
        address,
        what: `an address of the store, ${endpoint.key}: ${endpoint.url}${via}`,
        harm: 'the host would answer for its store itself and be cut off from it',
      });
  }
  return out;
}

// A NIC's address. A host prefix (/32, /128) there may be a VIP someone put on the NIC by
// mistake, or the host's own address: cloud and routed hosts hold theirs as a /32.
// rs-agent cannot tell them apart, so it treats both as the NIC's own: refused, and
// never in the ARP guard's set. Guarding a stray VIP would stop the NIC answering ARP
// for it, but guarding a host's own /32 takes the host off its network; a stray VIP is
// left answered, as it was before rs-agent, and reported with how to move it to lo.
function nicAddress(dev: string, a: { address: string; prefixlen: number; family: 4 | 6 }): Lifeline {
  const held = `${a.address}/${a.prefixlen}`;
  const harm = 'it would take the host off its network';
  if (a.prefixlen !== (a.family === 4 ? 32 : 128))
    return { address: a.address, what: `${dev}'s own address (${held})`, harm };
  return {
    address: a.address,
    what: `on ${dev} (${held})`,
    harm:
      `it may be ${dev}'s own address, and guarding that would take the host off its network; ` +
      `if it is a VIP put on ${dev} by mistake, remove it (ip address del ${held} dev ${dev}) and rs-agent puts it on lo`,
  };
}

// The problem's line for a VIP refused: names the VIP, what it is and why.
export function describeRefusal(vip: string, line: Lifeline): string {
  return `VIP ${vip} is ${line.what}: refused, ${line.harm}`;
}

// A store endpoint whose name does not resolve: no VIP can be refused for being its
// address until it does (see store/endpoint-addresses.ts).
export function unresolvedProblems(store: readonly StoreEndpoint[]): Problem[] {
  return store
    .filter((e) => e.error !== undefined)
    .map((e) => ({
      item: e.key,
      message:
        `${e.key}: ${e.url}: ${e.name ?? e.url} does not resolve (${e.error}): ` +
        'a VIP that is its address cannot be refused until it does',
    }));
}
