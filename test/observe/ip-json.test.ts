import { describe, expect, it } from 'vitest';
import { parseAddrShow, parseGateways, parseRouteShow, splitBatchOutput } from '../../src/observe/ip-json.js';

// Captured from `printf 'addr show\nroute show table main\n' | ip -json -batch -`
// (iproute2 6.1) in a namespace with a VIP on lo:0 and a veth pair.
const CAPTURED = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"192.0.2.10","prefixlen":32,"scope":"global","label":"lo:0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":2,"link":"eth0","ifname":"p0","flags":["BROADCAST","MULTICAST","M-DOWN"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":1000,"link_type":"ether","address":"fa:09:5e:b9:2e:79","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[]}]
[{"dst":"192.0.2.10","dev":"lo","scope":"link","flags":[]},{"dst":"198.51.100.0/24","dev":"p0","protocol":"kernel","scope":"link","prefsrc":"198.51.100.2","flags":[]},{"dst":"default","gateway":"198.51.100.1","dev":"p0","flags":[]},{"type":"blackhole","dst":"203.0.113.0/24","flags":[]}]
`;

// Captured (iproute2 6.1, kernel 6.18) after `ip -6 addr add 2001:db8::10/128 dev lo
// nodad preferred_lft 0 noprefixroute`, `ip -6 route add 2001:db8::10/128 dev lo` and
// `ip -6 addr add 2001:db8::11/128 dev lo nodad`: `addr show dev lo`, `-6 route show table main`.
const CAPTURED_V6_ADDR = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"2001:db8::11","prefixlen":128,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"2001:db8::10","prefixlen":128,"scope":"global","nodad":true,"deprecated":true,"noprefixroute":true,"valid_life_time":4294967295,"preferred_life_time":0},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]`;
const CAPTURED_V6_ROUTE = `[{"dst":"2001:db8::10","dev":"lo","metric":1024,"flags":[],"pref":"medium"},{"dst":"2001:db8::11","dev":"lo","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]`;

describe('ip -json parsers', () => {
  const [addr = '', route = ''] = splitBatchOutput(CAPTURED);

  it('reads links, their admin state and addresses with labels', () => {
    expect(parseAddrShow(addr)).toEqual([
      {
        name: 'lo',
        ifindex: 1,
        up: true,
        mtu: 65536,
        linkType: 'loopback',
        addresses: [
          { address: '127.0.0.1', prefixlen: 8, family: 4, label: 'lo' },
          { address: '192.0.2.10', prefixlen: 32, family: 4, label: 'lo:0' },
          { address: '::1', prefixlen: 128, family: 6, deprecated: false, noprefixroute: false },
        ],
      },
      { name: 'p0', ifindex: 2, up: false, mtu: 1500, linkType: 'ether', addresses: [] },
    ]);
  });

  it('reads host routes without a prefix as /32 and skips routes with no device', () => {
    expect(parseRouteShow(route, 4)).toEqual([
      { dst: '192.0.2.10', prefixlen: 32, family: 4, dev: 'lo' },
      { dst: '198.51.100.0', prefixlen: 24, family: 4, dev: 'p0' },
      { dst: '0.0.0.0', prefixlen: 0, family: 4, dev: 'p0' },
    ]);
  });

  it('reads whether an IPv6 address is deprecated and has noprefixroute; a kernel prefix route is not a host route', () => {
    const [lo] = parseAddrShow(CAPTURED_V6_ADDR);
    expect(lo?.addresses.filter((a) => a.family === 6)).toEqual([
      { address: '2001:db8::11', prefixlen: 128, family: 6, deprecated: false, noprefixroute: false },
      { address: '2001:db8::10', prefixlen: 128, family: 6, deprecated: true, noprefixroute: true },
      { address: '::1', prefixlen: 128, family: 6, deprecated: false, noprefixroute: false },
    ]);
    expect(parseRouteShow(CAPTURED_V6_ROUTE, 6)).toEqual([
      { dst: '2001:db8::10', prefixlen: 128, family: 6, dev: 'lo' },
    ]);
  });

  it('names the command when the output is not JSON', () => {
    expect(() => parseAddrShow('Object "x" is unknown')).toThrow(
      /ip -json addr show printed something that is not JSON/,
    );
  });

  // Captured (iproute2 6.1) with a veth pair named e<ESC>c and q"1\: ip escapes the
  // quote and the backslash, and writes the escape raw, which JSON does not allow.
  it('reads a name with a raw control character in it', () => {
    const json =
      '[{"ifindex":4,"link":"e\x1bc","ifname":"q\\"1\\\\","flags":["BROADCAST"],"link_type":"ether","addr_info":[]},{"ifindex":5,"link":"q\\"1\\\\","ifname":"e\x1bc","flags":["BROADCAST"],"link_type":"ether","addr_info":[]}]';
    expect(parseAddrShow(json).map((l) => l.name)).toEqual(['q"1\\', 'e\x1bc']);
  });
});

// Captured (iproute2 6.1) in a namespace with a multipath default route over eth0 and
// eth1, a route via an IPv6 next hop, and an IPv6 default route.
const CAPTURED_MULTIPATH = `[{"dst":"default","flags":[],"nexthops":[{"gateway":"198.51.100.1","dev":"eth0","weight":1,"flags":[]},{"gateway":"203.0.113.1","dev":"eth1","weight":1,"flags":[]}]},{"dst":"192.0.2.0/24","via":{"family":"inet6","host":"fe80::1"},"dev":"eth0","flags":[]},{"dst":"198.51.100.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.51.100.2","flags":[]}]`;
const CAPTURED_V6_DEFAULT = `[{"dst":"2001:db8::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},{"dst":"default","gateway":"2001:0db8::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]`;

describe('parseGateways: the default routes gateways', () => {
  it('a single route, every next hop of a multipath one, IPv6 canonical; never another route s next hop', () => {
    const [, route = ''] = splitBatchOutput(CAPTURED);
    expect(parseGateways(route)).toEqual(['198.51.100.1']);
    expect(parseGateways(CAPTURED_MULTIPATH)).toEqual(['198.51.100.1', '203.0.113.1']);
    expect(parseGateways(CAPTURED_V6_DEFAULT)).toEqual(['2001:db8::1']);
  });

  it('a default route through an IPv6 next hop (via inet6), and none for a blackhole default', () => {
    const via = `[{"dst":"default","via":{"family":"inet6","host":"fe80::1"},"dev":"eth0","flags":[]},{"type":"blackhole","dst":"default","gateway":"192.0.2.1","flags":[]}]`;
    expect(parseGateways(via)).toEqual(['fe80::1']);
  });
});
