import { canonicalIPv6 } from '../config/address.js';
import type { ActualAddress, ActualLink, ActualRoute } from './types.js';

// Pure parsers of iproute2's JSON output (`ip -json addr show`, `ip -json route show`).

interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  label?: string;
  deprecated?: boolean;
  noprefixroute?: boolean;
  preferred_life_time?: number;
}

interface IpLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  mtu?: number;
  link_type?: string;
  altnames?: string[];
  addr_info?: IpAddrInfo[];
}

interface IpNexthop {
  gateway?: string;
  via?: { family?: string; host?: string };
}

interface IpRoute extends IpNexthop {
  dst?: string;
  dev?: string;
  type?: string;
  protocol?: string;
  nexthops?: IpNexthop[];
}

export function parseAddrShow(json: string): ActualLink[] {
  const links = parseArray<IpLink>(json, 'ip -json addr show');
  return links.flatMap((link) => {
    if (typeof link.ifname !== 'string') return [];
    const addresses: ActualAddress[] = (link.addr_info ?? []).flatMap((info): ActualAddress[] => {
      if (typeof info.local !== 'string' || typeof info.prefixlen !== 'number') return [];
      if (info.family !== 'inet' && info.family !== 'inet6') return [];
      const family = info.family === 'inet' ? 4 : 6;
      if (family === 4)
        return [
          { address: info.local, prefixlen: info.prefixlen, family, ...(info.label ? { label: info.label } : {}) },
        ];
      // An address added with preferred_lft 0 prints both `"deprecated": true` and
      // `"preferred_life_time": 0`; either one means source selection skips it.
      const deprecated = info.deprecated === true || info.preferred_life_time === 0;
      return [
        {
          address: canonicalIPv6(info.local),
          prefixlen: info.prefixlen,
          family,
          deprecated,
          noprefixroute: info.noprefixroute === true,
        },
      ];
    });
    const altnames = Array.isArray(link.altnames) ? link.altnames.filter((n) => typeof n === 'string') : [];
    return [
      {
        name: link.ifname,
        ...(typeof link.ifindex === 'number' ? { ifindex: link.ifindex } : {}),
        up: (link.flags ?? []).includes('UP'),
        ...(typeof link.mtu === 'number' ? { mtu: link.mtu } : {}),
        linkType: link.link_type ?? 'unknown',
        ...(altnames.length > 0 ? { altnames } : {}),
        addresses,
      },
    ];
  });
}

export function parseRouteShow(json: string, family: 4 | 6): ActualRoute[] {
  return parseRouteTable(json, family).routes;
}

// The main table's routes and its default routes' gateways, from one parse (a host
// with 10 000 VIPs has a route table of a megabyte, read every pass).
export function parseRouteTable(json: string, family: 4 | 6): { routes: ActualRoute[]; gateways: string[] } {
  const table = parseArray<IpRoute>(json, 'ip -json route show');
  return { routes: hostRoutes(table, family), gateways: gatewaysOf(table) };
}

function hostRoutes(routes: readonly IpRoute[], family: 4 | 6): ActualRoute[] {
  return routes.flatMap((route) => {
    if (typeof route.dst !== 'string' || typeof route.dev !== 'string') return [];
    if (route.type !== undefined && route.type !== 'unicast') return [];
    // An IPv6 `proto kernel` route is the prefix route of an address added without
    // noprefixroute: it belongs to that address and leaves with it (or when rs-agent
    // sets noprefixroute on a VIP), so it never counts as a host route anyone added.
    if (family === 6 && route.protocol === 'kernel') return [];
    const hostLength = family === 4 ? 32 : 128;
    const [dst = '', prefix] = route.dst === 'default' ? [family === 4 ? '0.0.0.0' : '::', '0'] : route.dst.split('/');
    const address = family === 6 ? canonicalIPv6(dst) : dst;
    return [{ dst: address, prefixlen: prefix === undefined ? hostLength : Number(prefix), family, dev: route.dev }];
  });
}

// The gateways of the default routes (`dst: default`): a single route's `gateway`, a
// multipath route's `nexthops`, and `via` where the gateway is of the other family.
export function parseGateways(json: string): string[] {
  return gatewaysOf(parseArray<IpRoute>(json, 'ip -json route show'));
}

function gatewaysOf(routes: readonly IpRoute[]): string[] {
  const out = new Set<string>();
  for (const route of routes) {
    if (route.dst !== 'default' || (route.type !== undefined && route.type !== 'unicast')) continue;
    for (const hop of [route, ...(Array.isArray(route.nexthops) ? route.nexthops : [])]) {
      for (const address of [hop.gateway, hop.via?.host]) {
        if (typeof address === 'string') out.add(address.includes(':') ? canonicalIPv6(address) : address);
      }
    }
  }
  return [...out];
}

// `ip -json -batch -` prints one JSON array per command, each on its own line.
export function splitBatchOutput(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

// iproute2's JSON writer escapes only \t \n \r \f \b, quote and backslash in a
// string: any other control character the kernel allows in a name (an escape, 0x1b)
// comes out raw, which JSON does not allow. Escaped here before parsing; outside
// strings ip writes none of them.
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

function parseArray<T>(json: string, what: string): T[] {
  let value: unknown;
  try {
    const text = json.replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    value = JSON.parse(text === '' ? '[]' : text);
  } catch {
    throw new Error(`${what} printed something that is not JSON: ${json.slice(0, 80)}`);
  }
  if (!Array.isArray(value)) throw new Error(`${what} printed JSON that is not a list`);
  return value as T[];
}
