// The code cache made after a converged check has run (called by build/bundle.mjs).
//
// V8 compiles a function the first time it is called, and a code cache made from the
// bare script holds little more than its top level: a converged check then still compiles
// execa, the config, observe and plan code on every run. So the build runs the built
// entry once as `check` on a converged 1-VIP host and writes the cache as that process
// exits (build/train-hook.cjs, preloaded), holding all it compiled.
//
// The host is described by stand-ins for `ip` and `nft`, first on PATH, printing what a
// converged network namespace prints (captured from one), and by the hook, which answers
// the ARP sysctls' reads; the state directory and config are throwaway. The check changes
// nothing. It must find the host in sync (exit 0): otherwise what it compiled is not what
// a converged check runs, and the stand-ins need to learn what check reads now.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VIP = '192.0.2.10';

// Runs DIR/main.js check with the stand-ins and writes the cache to cacheFile. Returns
// null when it did, or why not.
export function trainCache(dir, cacheFile) {
  const work = mkdtempSync(join(tmpdir(), 'rsa-train-'));
  try {
    const bin = join(work, 'bin');
    mkdirSync(bin);
    standIn(bin, 'ip', { '-json -batch -': `${JSON.stringify(LINKS)}\n${JSON.stringify(ROUTES)}` });
    standIn(bin, 'nft', {
      '-j list table arp rs_agent': JSON.stringify(ARP_GUARD),
      '-j list table inet rs_agent_traffic': JSON.stringify(TRAFFIC),
    });
    const config = join(work, 'rs-agent.yaml');
    writeFileSync(config, `mode: dr\nvips:\n  - ${VIP}\n`, { mode: 0o600 });
    const argv = ['--require', join(import.meta.dirname, 'train-hook.cjs'), join(dir, 'main.js'), 'check'];
    argv.push('--config', config, '--state-dir', join(work, 'state'));
    const result = spawnSync(process.execPath, argv, {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        RS_AGENT_BUILD_CACHE_OUT: cacheFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0)
      return `the check on the stand-in host exited ${result.status ?? result.signal}: ${result.stdout}${result.stderr}`.trim();
    if (!existsSync(cacheFile)) return 'the check wrote no cache';
    return null;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// A shell script named `name` that prints the answer for its arguments (after reading
// its stdin, as ip -batch - does) and fails on any other.
function standIn(bin, name, answers) {
  const cases = Object.entries(answers)
    .map(([args, text]) => `  '${args}') cat <<'EOF'\n${text}\nEOF\n  ;;`)
    .join('\n');
  const script = `#!/bin/sh\ncat >/dev/null\ncase "$*" in\n${cases}\n  *) echo "${name} stand-in: $*" >&2; exit 1 ;;\nesac\n`;
  writeFileSync(join(bin, name), script);
  chmodSync(join(bin, name), 0o755);
}

const forever = { valid_life_time: 4294967295, preferred_life_time: 4294967295 };
const LINKS = [
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    mtu: 65536,
    qdisc: 'noqueue',
    operstate: 'UNKNOWN',
    group: 'default',
    txqlen: 1000,
    link_type: 'loopback',
    address: '00:00:00:00:00:00',
    broadcast: '00:00:00:00:00:00',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo', ...forever },
      { family: 'inet', local: VIP, prefixlen: 32, scope: 'global', label: 'lo:0', ...forever },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host', ...forever },
    ],
  },
  {
    ifindex: 2,
    ifname: 'eth0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    qdisc: 'noqueue',
    operstate: 'UP',
    group: 'default',
    txqlen: 1000,
    link_type: 'ether',
    address: '02:00:00:00:00:01',
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link', ...forever }],
  },
];
const ROUTES = [{ dst: VIP, dev: 'lo', scope: 'link', flags: [] }];

const metainfo = { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } };
const arp = { family: 'arp', table: 'rs_agent' };
const arpMatch = (field, right) => ({ match: { op: '==', left: { payload: { protocol: 'arp', field } }, right } });
const ARP_GUARD = {
  nftables: [
    metainfo,
    { table: { family: 'arp', name: 'rs_agent', handle: 2 } },
    { set: { ...arp, name: 'vips4', type: 'ipv4_addr', handle: 3, flags: ['interval'], elem: [VIP] } },
    { chain: { ...arp, name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
    { chain: { ...arp, name: 'output', handle: 2, type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
    {
      rule: {
        ...arp,
        chain: 'input',
        handle: 4,
        expr: [
          arpMatch('operation', 'request'),
          arpMatch('daddr ip', '@vips4'),
          { counter: { packets: 0, bytes: 0 } },
          { drop: null },
        ],
      },
    },
    {
      rule: {
        ...arp,
        chain: 'output',
        handle: 5,
        expr: [arpMatch('saddr ip', '@vips4'), { counter: { packets: 0, bytes: 0 } }, { drop: null }],
      },
    },
  ],
};

const inet = { family: 'inet', table: 'rs_agent_traffic' };
const counted = (ip, set) => ({
  family: 'inet',
  name: set,
  table: 'rs_agent_traffic',
  type: [ip === 'ip' ? 'ipv4_addr' : 'ipv6_addr', 'inet_service'],
  size: 4096,
  stmt: [{ counter: null }],
});
const synTo = (ip, vips, set, handle) => ({
  rule: {
    ...inet,
    chain: 'input',
    handle,
    expr: [
      {
        match: {
          op: '==',
          left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, ['syn', 'ack']] },
          right: 'syn',
        },
      },
      { match: { op: '==', left: { payload: { protocol: ip, field: 'daddr' } }, right: vips } },
      {
        set: {
          op: 'update',
          elem: {
            concat: [{ payload: { protocol: ip, field: 'daddr' } }, { payload: { protocol: 'tcp', field: 'dport' } }],
          },
          set,
        },
      },
    ],
  },
});
const TRAFFIC = {
  nftables: [
    metainfo,
    { table: { family: 'inet', name: 'rs_agent_traffic', handle: 4 } },
    { set: { ...inet, name: 'vips4', type: 'ipv4_addr', handle: 2, elem: [VIP] } },
    { set: { ...inet, name: 'vips6', type: 'ipv6_addr', handle: 3 } },
    { set: { ...counted('ip', 'new4'), handle: 4 } },
    { set: { ...counted('ip6', 'new6'), handle: 5 } },
    { chain: { ...inet, name: 'input', handle: 1, type: 'filter', hook: 'input', prio: -150, policy: 'accept' } },
    synTo('ip', '@vips4', '@new4', 6),
    synTo('ip6', '@vips6', '@new6', 7),
  ],
};
