// Malformed configs, each with what its one-line error must say (key path and value).
// Used by the parser's unit test and, through the real CLI, by the kernel test.
export interface InvalidConfig {
  name: string;
  yaml: string;
  message: RegExp;
}

const bomb = [
  'a: &a ["192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.1"]',
  ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${new Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
  'vips: [*h, *h, *h, *h, *h, *h, *h, *h, *h]',
].join('\n');

const row = (name: string, yaml: string, message: RegExp): InvalidConfig => ({ name, yaml, message });

export const INVALID_CONFIGS: InvalidConfig[] = [
  // The file as a whole
  row('empty file', '', /: the file is empty/),
  row('only comments', '# vips: [192.0.2.10]\n\n', /: the file is empty/),
  row('not YAML', 'vips: [192.0.2.10\n', /: not valid YAML at line \d+, column \d+: /),
  row('tab indentation', 'vips:\n\t- 192.0.2.10\n', /: not valid YAML at line 2/),
  row('two documents', 'vips: [192.0.2.10]\n---\nvips: [192.0.2.11]\n', /: not valid YAML: expected a single document/),
  row(
    'a key twice',
    'vips: [192.0.2.10]\nvips: [192.0.2.11]\n',
    /: not valid YAML at line 2, column 1: duplicated mapping key/,
  ),
  row('a NUL byte', 'vips: [192.0.2.10]\0\n', /: not valid YAML at line 1.*null byte/),
  row('an unknown tag', 'vips: !!binary aGVsbG8=\n', /: not valid YAML at line 1, column 7: unknown scalar tag/),
  row(
    'nested 30 deep',
    `vips: ${'['.repeat(30)}${']'.repeat(30)}\n`,
    /: not valid YAML at line 1, column \d+: nesting exceeded maxDepth/,
  ),
  row('an alias bomb', bomb, /: its aliases expand to more than 1000000 values \(an alias bomb\?\)/),
  row(
    'over 1 MiB',
    `vips: [192.0.2.10]\n${`# ${'x'.repeat(1022)}\n`.repeat(1025)}`,
    /: is 1 MiB; a config is at most 1 MiB|: is 1\.\d MiB; a config is at most 1 MiB/,
  ),
  row('top level a list', '- 192.0.2.10\n', /\.yaml: must be a mapping, not a list$/),
  row('top level a string', 'hello\n', /\.yaml: must be a mapping, not "hello"$/),
  row('top level a number', '42\n', /\.yaml: must be a mapping, not 42$/),
  row('unknown key', 'vips: [192.0.2.10]\nvip: 1\n', /: vip: unknown key/),
  row('__proto__ key', '__proto__: {vips: [192.0.2.1]}\nvips: [192.0.2.10]\n', /: __proto__: unknown key/),
  row('merge key (YAML 1.1 only)', 'base: &b {mode: dr}\n<<: *b\nvips: [192.0.2.10]\n', /: base: unknown key/),
  // vips
  row('vips missing', 'mode: dr\n', /: vips: is required/),
  row('vips null', 'vips:\n', /: vips: is required/),
  row('vips not a list', 'vips: 192.0.2.10\n', /: vips: must be a list of addresses, not "192\.0\.2\.10"/),
  row('vips a mapping', 'vips: {a: 192.0.2.10}\n', /: vips: must be a list of addresses, not a mapping/),
  row('vips empty', 'vips: []\n', /: vips: is empty/),
  row('octet > 255', 'vips: [192.0.2.256]\n', /: vips\[0\]: "192\.0\.2\.256" is not an IP address/),
  row('leading zero', 'vips: [192.0.2.010]\n', /: vips\[0\]: "192\.0\.2\.010" is not an IP address/),
  row('three octets', 'vips: ["192.0.2"]\n', /: vips\[0\]: "192\.0\.2" is not an IP address/),
  row('hex octet', 'vips: ["0x7f.0.0.1"]\n', /: vips\[0\]: "0x7f\.0\.0\.1" is not an IP address/),
  row('hostname', 'vips: [www.example.com]\n', /: vips\[0\]: "www\.example\.com" is not an IP address/),
  row('number', 'vips: [10]\n', /: vips\[0\]: 10 is not an IP address/),
  row('boolean', 'vips: [true]\n', /: vips\[0\]: true is not an IP address/),
  row('null entry', 'vips: [~]\n', /: vips\[0\]: null is not an IP address/),
  row('nested list', 'vips: [[192.0.2.10]]\n', /: vips\[0\]: a list is not an IP address/),
  row('a /24', 'vips: [192.0.2.0/24]\n', /: vips\[0\]: "192\.0\.2\.0\/24" is not a single host/),
  row('a /31', 'vips: [192.0.2.10/31]\n', /: vips\[0\]: "192\.0\.2\.10\/31" is not a single host/),
  row('two prefixes', 'vips: [192.0.2.10/32/32]\n', /: vips\[0\]: "192\.0\.2\.10\/32\/32" is not an IP address/),
  row('loopback', 'vips: [127.0.0.2]\n', /: vips\[0\]: "127\.0\.0\.2" is a loopback address/),
  row('multicast', 'vips: [224.0.0.1]\n', /: vips\[0\]: "224\.0\.0\.1" is a multicast address/),
  row('unspecified', 'vips: [0.0.0.0]\n', /: vips\[0\]: "0\.0\.0\.0" is the unspecified address/),
  row('"this network"', 'vips: [0.1.2.3]\n', /: vips\[0\]: "0\.1\.2\.3" is in 0\.0\.0\.0\/8/),
  row('broadcast', 'vips: [255.255.255.255]\n', /: vips\[0\]: "255\.255\.255\.255" is the broadcast address/),
  row('reserved 240/4', 'vips: [240.0.0.1]\n', /: vips\[0\]: "240\.0\.0\.1" is in the reserved range/),
  row('IPv6 with a zone', 'vips: ["fe80::1%eth0"]\n', /: vips\[0\]: "fe80::1%eth0" is not an IP address/),
  row('v6 link-local', 'vips: ["fe80::10"]\n', /vips\[0\]: "fe80::10" is a link-local address \(fe80::\/10/),
  row('v6 link-local upper', 'vips: ["febf::1"]\n', /is a link-local address/),
  row('v6 multicast', 'vips: ["ff02::1"]\n', /vips\[0\]: "ff02::1" is a multicast address \(ff00::\/8\)/),
  row('v6 loopback', 'vips: ["::1"]\n', /vips\[0\]: "::1" is the loopback address, not usable as a VIP/),
  row('v6 unspecified', 'vips: ["::"]\n', /vips\[0\]: "::" is the unspecified address/),
  row(
    'v6 IPv4-mapped',
    'vips: ["::ffff:192.0.2.10"]\n',
    /is an IPv4-mapped address \(::ffff:0:0\/96; write the IPv4 VIP itself\)/,
  ),
  row('v6 IPv4-compatible', 'vips: ["::192.0.2.10"]\n', /is an IPv4-compatible address/),
  row('v6 site-local', 'vips: ["fec0::1"]\n', /is a site-local address/),
  row('v6 /64', 'vips: ["2001:db8::/64"]\n', /vips\[0\]: "2001:db8::\/64" is not a single host: a VIP takes \/128/),
  row('v6 zone', 'vips: ["2001:db8::1%eth0"]\n', /is not an IP address/),
  row(
    'v6 duplicate',
    'vips: ["2001:db8::10", "2001:0db8:0:0::0010"]\n',
    /vips\[1\]: "2001:0db8:0:0::0010" is the same VIP as vips\[0\]/,
  ),
  row('tunnel not a mapping', 'vips: [192.0.2.10]\ntunnel: tunl0\n', /tunnel: must be a mapping, not "tunl0"/),
  row(
    'tunnel unknown key',
    'vips: [192.0.2.10]\ntunnel: {v6: x}\n',
    /tunnel\.v6: unknown key; expected one of ipv4, ipv6, mss/,
  ),
  row(
    'mss a word',
    'vips: [192.0.2.10]\ntunnel: {mss: clamp}\n',
    /: tunnel\.mss: "clamp" must be auto, off or a number of bytes \(e\.g\. 1400\)$/,
  ),
  row(
    'mss as text',
    'vips: [192.0.2.10]\ntunnel: {mss: "1400"}\n',
    /: tunnel\.mss: "1400" must be auto, off or a number/,
  ),
  row(
    'mss a fraction',
    'vips: [192.0.2.10]\ntunnel: {mss: 1400.5}\n',
    /: tunnel\.mss: 1400\.5 must be auto, off or a number/,
  ),
  row('mss false', 'vips: [192.0.2.10]\ntunnel: {mss: false}\n', /: tunnel\.mss: false must be auto, off or a number/),
  row(
    'mss below IPv4',
    'vips: [192.0.2.10]\ntunnel: {mss: {ipv4: 535}}\n',
    /: tunnel\.mss\.ipv4: 535 is out of range for IPv4: 536-65495/,
  ),
  row(
    'mss below IPv6',
    'vips: [192.0.2.10]\ntunnel: {mss: {ipv6: 1219}}\n',
    /: tunnel\.mss\.ipv6: 1219 is out of range for IPv6: 1220-65495/,
  ),
  row(
    'mss one value below IPv6',
    'vips: [192.0.2.10]\ntunnel: {mss: 1000}\n',
    /: tunnel\.mss: 1000 is out of range for IPv6: 1220-65495 .*; for IPv4 alone write tunnel\.mss: \{ipv4: N\}$/,
  ),
  row(
    'mss too large',
    'vips: [192.0.2.10]\ntunnel: {mss: 65496}\n',
    /: tunnel\.mss: 65496 is out of range for IPv4: 536-65495/,
  ),
  row(
    'mss unknown family',
    'vips: [192.0.2.10]\ntunnel: {mss: {v4: 1400}}\n',
    /: tunnel\.mss\.v4: unknown key; expected one of ipv4, ipv6$/,
  ),
  row(
    'mss a list',
    'vips: [192.0.2.10]\ntunnel: {mss: [1400]}\n',
    /: tunnel\.mss: a list must be auto, off or a number/,
  ),
  row('tunnel bad name', 'vips: [192.0.2.10]\ntunnel: {ipv6: "ip6/tnl"}\n', /tunnel\.ipv6: "ip6\/tnl" has a character/),
  row(
    'tunnel lo',
    'vips: [192.0.2.10]\ntunnel: {ipv4: lo}\n',
    /tunnel\.ipv4: "lo" cannot carry IPv4-in-IPv4 tunnel VIPs/,
  ),
  row(
    'tunnel other family',
    'vips: [192.0.2.10]\ntunnel: {ipv6: tunl0}\n',
    /tunnel\.ipv6: "tunl0" cannot carry IPv6-in-IPv6/,
  ),
  row(
    'tunnel a NIC',
    'vips: [192.0.2.10]\ninterfaces: [eth0]\ntunnel: {ipv4: eth0}\n',
    /tunnel\.ipv4: "eth0" cannot carry/,
  ),
  row(
    'tunnel same both',
    'vips: [192.0.2.10]\ntunnel: {ipv4: tun, ipv6: tun}\n',
    /tunnel\.ipv6: "tun" is also tunnel\.ipv4/,
  ),
  row(
    'duplicate',
    'vips: [192.0.2.10, 192.0.2.11, 192.0.2.10]\n',
    /: vips\[2\]: "192\.0\.2\.10" is the same VIP as vips\[0\]/,
  ),
  row(
    'duplicate, written with /32',
    'vips: [192.0.2.10, 192.0.2.10/32]\n',
    /: vips\[1\]: "192\.0\.2\.10\/32" is the same VIP as vips\[0\]/,
  ),
  row(
    'duplicate, as a mapping in another mode',
    'vips: [192.0.2.10, {address: " 192.0.2.10", mode: tun}]\n',
    /: vips\[1\]: " 192\.0\.2\.10" is the same VIP as vips\[0\]/,
  ),
  row('vip mapping without address', 'vips: [{mode: dr}]\n', /: vips\[0\]\.address: is required/),
  row(
    'vip mapping unknown key',
    'vips: [{address: 192.0.2.10, weight: 1}]\n',
    /: vips\[0\]\.weight: unknown key; expected one of address, mode, encap, port/,
  ),
  row(
    'vip address a number',
    'vips: [{address: 3221225994}]\n',
    /: vips\[0\]\.address: 3221225994 is not an IP address/,
  ),
  // modes
  row(
    'nat mode',
    'mode: nat\nvips: [192.0.2.10]\n',
    /: mode: "nat" is not a mode for rs-agent: in LVS-NAT .* need no VIP/,
  ),
  row(
    'NAT per VIP, upper case',
    'vips: [{address: 192.0.2.10, mode: NAT}]\n',
    /: vips\[0\]\.mode: "NAT" is not a mode for rs-agent: in LVS-NAT/,
  ),
  row(
    'an encap as mode',
    'vips: [{address: 192.0.2.10, mode: gre}]\n',
    /: vips\[0\]\.mode: "gre" is not a mode; use dr or tun \(gre is how a TUN VIP is tunnelled: mode: tun, encap: gre\)$/,
  ),
  row(
    'unknown mode',
    'vips: [{address: 192.0.2.10, mode: dsr}]\n',
    /: vips\[0\]\.mode: "dsr" is not a mode; use dr or tun$/,
  ),
  row('mode a number', 'mode: 1\nvips: [192.0.2.10]\n', /: mode: 1 is not a mode; use dr or tun/),
  // interfaces
  row(
    'interfaces a string',
    'vips: [192.0.2.10]\ninterfaces: eth0\n',
    /: interfaces: must be a list of interface names, not "eth0"/,
  ),
  row('interface a number', 'vips: [192.0.2.10]\ninterfaces: [0]\n', /: interfaces\[0\]: 0 is not an interface name/),
  row('interface name empty', 'vips: [192.0.2.10]\ninterfaces: [""]\n', /: interfaces\[0\]: "" is empty/),
  row(
    'interface name too long',
    'vips: [192.0.2.10]\ninterfaces: [abcdefghijklmnop]\n',
    /: interfaces\[0\]: "abcdefghijklmnop" is longer than the 15/,
  ),
  row(
    'interface name with slash',
    'vips: [192.0.2.10]\ninterfaces: ["eth/0"]\n',
    /: interfaces\[0\]: "eth\/0" has a character/,
  ),
  row(
    'interface name with colon',
    'vips: [192.0.2.10]\ninterfaces: ["eth0:1"]\n',
    /: interfaces\[0\]: "eth0:1" has a character/,
  ),
  row(
    'interface name with space',
    'vips: [192.0.2.10]\ninterfaces: ["eth 0"]\n',
    /: interfaces\[0\]: "eth 0" has a character/,
  ),
  row(
    'interface name with newline',
    'vips: [192.0.2.10]\ninterfaces: ["eth0\\nflush lo"]\n',
    /: interfaces\[0\]: "eth0\\nflush lo" has a character/,
  ),
  row(
    'interface name ".."',
    'vips: [192.0.2.10]\ninterfaces: [".."]\n',
    /: interfaces\[0\]: "\.\." is not a valid interface name/,
  ),
  row('interface lo', 'vips: [192.0.2.10]\ninterfaces: [lo]\n', /: interfaces\[0\]: "lo" is always configured/),
  row(
    'interfaces twice',
    'vips: [192.0.2.10]\ninterfaces: [eth0, eth0]\n',
    /: interfaces\[1\]: "eth0" is listed twice/,
  ),
  // Paths of files rs-agent writes as root (where they may be is checked at load:
  // test/config/written-paths.test.ts)
  row(
    'metrics.file relative',
    'vips: [192.0.2.10]\nmetrics: {file: rs-agent.prom}\n',
    /: metrics\.file: "rs-agent\.prom" must be an absolute file path/,
  ),
  row(
    'metrics.file with a NUL',
    'vips: [192.0.2.10]\nmetrics: {file: "/var/lib/node_exporter/rs\\0.prom"}\n',
    /: metrics\.file: "\/var\/lib\/node_exporter\/rs\\u0000\.prom" has a control character/,
  ),
  row(
    'metrics.file with a newline',
    'vips: [192.0.2.10]\nmetrics: {file: "/var/lib/node_exporter/rs\\n.prom"}\n',
    /: metrics\.file: "\/var\/lib\/node_exporter\/rs\\n\.prom" has a control character/,
  ),
  row(
    'metrics.file with ..',
    'vips: [192.0.2.10]\nmetrics: {file: /var/lib/node_exporter/../../../etc/rs.prom}\n',
    /: metrics\.file: "\/var\/lib\/node_exporter\/\.\.\/\.\.\/\.\.\/etc\/rs\.prom" has a "\.\." component/,
  ),
  row(
    'metrics.file a directory',
    'vips: [192.0.2.10]\nmetrics: {file: /var/lib/rs.prom/}\n',
    /: metrics\.file: "\/var\/lib\/rs\.prom\/" names a directory, not a file/,
  ),
  row(
    'source.etcd.cache /',
    'source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: /}}\n',
    /: source\.etcd\.cache: "\/" names a directory, not a file/,
  ),
  row(
    'source.etcd.cache relative',
    'source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: cache.json}}\n',
    /: source\.etcd\.cache: "cache\.json" must be an absolute file path/,
  ),
  row(
    'source.etcd.cache with a newline',
    'source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: "/var/lib/rs-agent/c\\njson"}}\n',
    /: source\.etcd\.cache: "\/var\/lib\/rs-agent\/c\\njson" has a control character/,
  ),
  row(
    'source.etcd.cache with ..',
    'source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: /var/lib/rs-agent/../../../etc/shadow}}\n',
    /: source\.etcd\.cache: "\/var\/lib\/rs-agent\/\.\.\/\.\.\/\.\.\/etc\/shadow" has a "\.\." component/,
  ),
  row(
    'source.etcd.tls.ca with ..',
    'source: {etcd: {endpoints: ["https://192.0.2.1:2379"], tls: {ca: /etc/ssl/../../root/ca.pem}}}\n',
    /: source\.etcd\.tls\.ca: "\/etc\/ssl\/\.\.\/\.\.\/root\/ca\.pem" has a "\.\." component/,
  ),
  // arp
  row('arp a list', 'vips: [192.0.2.10]\narp: [1, 2]\n', /: arp: must be a mapping, not a list/),
  row('arp unknown key', 'vips: [192.0.2.10]\narp: {filter: 1}\n', /: arp\.filter: unknown key/),
  row('arp_ignore 0', 'vips: [192.0.2.10]\narp: {ignore: 0}\n', /: arp\.ignore: 0 must be 1 or 2/),
  row('arp_ignore as text', 'vips: [192.0.2.10]\narp: {ignore: "1"}\n', /: arp\.ignore: "1" must be 1 or 2/),
  row('arp_ignore 1.5', 'vips: [192.0.2.10]\narp: {ignore: 1.5}\n', /: arp\.ignore: 1\.5 must be 1 or 2/),
  row('arp_announce 1', 'vips: [192.0.2.10]\narp: {announce: 1}\n', /: arp\.announce: 1 must be 2/),
  // drain, health
  row('drain.quiet 0', 'vips: [192.0.2.10]\ndrain: {quiet: 0}\n', /: drain\.quiet: 0 is out of range: from 1s to 10m/),
  row(
    'drain.timeout text',
    'vips: [192.0.2.10]\ndrain: {timeout: soon}\n',
    /: drain\.timeout: "soon" is not a duration/,
  ),
  row(
    'drain.on_stop yes',
    'vips: [192.0.2.10]\ndrain: {on_stop: "yes"}\n',
    /: drain\.on_stop: "yes" must be true or false/,
  ),
  row(
    'drain.file relative',
    'vips: [192.0.2.10]\ndrain: {file: drain.json}\n',
    /: drain\.file: "drain\.json" must be an absolute file path/,
  ),
  row('drain unknown key', 'vips: [192.0.2.10]\ndrain: {wait: 3}\n', /: drain\.wait: unknown key/),
  row(
    'health.listen a VIP',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.10:9100"}\n',
    /: health\.listen: "192\.0\.2\.10:9100" is a VIP: the director must reach this server's own address/,
  ),
  row(
    'health.listen a wildcard',
    'vips: [192.0.2.10]\nhealth: {listen: "0.0.0.0:9100"}\n',
    /: health\.listen: "0\.0\.0\.0:9100" listens on every address, the VIPs included/,
  ),
  row(
    'health.listen no port',
    'vips: [192.0.2.10]\nhealth: {listen: 192.0.2.21}\n',
    /: health\.listen: "192\.0\.2\.21" is not an address and port; write ADDRESS:PORT/,
  ),
  row(
    'health.listen port 70000',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:70000"}\n',
    /: health\.listen: "192\.0\.2\.21:70000" is not an address and port/,
  ),
  row(
    'health.agent an IPv6 VIP',
    'vips: ["2001:db8::10"]\nhealth: {agent: "[2001:DB8::10]:9101"}\n',
    /: health\.agent: "\[2001:DB8::10\]:9101" is a VIP/,
  ),
  row(
    'health.agent the same as listen',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", agent: "192.0.2.21:9100"}\n',
    /: health\.agent: "192\.0\.2\.21:9100" is also health\.listen/,
  ),
  row(
    'health.agent_weight without agent',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", agent_weight: 50}\n',
    /: health\.agent_weight: needs health\.agent/,
  ),
  row(
    'health.agent_weight 300',
    'vips: [192.0.2.10]\nhealth: {agent: "192.0.2.21:9101", agent_weight: 300}\n',
    /: health\.agent_weight: 300 must be a whole number from 0 to 256/,
  ),
  row(
    'health.check https',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", check: "https://127.0.0.1/"}\n',
    /: health\.check: "https:\/\/127\.0\.0\.1\/": only http:\/\//,
  ),
  row(
    'health.check by name',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", check: "http://localhost:8080/"}\n',
    /: health\.check: "http:\/\/localhost:8080\/": name the service by address/,
  ),
  row(
    'health.check neither URL nor address',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", check: nginx}\n',
    /: health\.check: "nginx" is not an http:\/\/ URL of the local service/,
  ),
  row(
    'health.check_timeout 1 minute',
    'vips: [192.0.2.10]\nhealth: {listen: "192.0.2.21:9100", check_timeout: 1m}\n',
    /: health\.check_timeout: "1m" is out of range: from 100ms to 10s/,
  ),
];
