'use strict';
// node build/train-cache.cjs DIR CACHE (run by build/bundle.mjs): writes V8's code
// cache for the bundle after running a converged 1-VIP `check` with it, so the cache holds
// the functions that check compiles as it runs (execa's among them), not only the few V8
// compiles before it runs anything. V8 compiles a function the first time it is called;
// a cache made from the bare script holds little more than the top level.
//
// The check runs through the built entry (DIR/main.js, with no cache yet), this file
// preloaded to catch the bundle's script and write its cache at exit; against stand-ins for `ip` and `nft` (first on PATH) that print what a
// converged host shows, with a state directory of its own: it reads /proc/sys and
// changes nothing. Its verdict does not matter (the build machine's sysctls are what
// they are), only that it ran to the end.
const { spawnSync } = require('node:child_process');
const { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// Set for the training check only: where its preloaded copy of this file writes the cache.
const CACHE_ENV = 'RS_AGENT_BUILD_TRAIN_CACHE';

if (process.env[CACHE_ENV] !== undefined) {
  catchScript(process.env[CACHE_ENV]);
} else {
  const [dir, cacheFile] = process.argv.slice(2);
  const work = mkdtempSync(join(tmpdir(), 'rsa-train-'));
  try {
    process.exitCode = train(dir, cacheFile, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Runs `DIR/main.js check` on a converged 1-VIP host as the stand-ins describe it.
function train(dir, cacheFile, work) {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const VIP = '192.0.2.10';
  const links = [
    {
      ifindex: 1,
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
      operstate: 'UNKNOWN',
      link_type: 'loopback',
      addr_info: [
        { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' },
        { family: 'inet', local: VIP, prefixlen: 32, scope: 'global', label: 'lo:0' },
      ],
    },
  ];
  const routes = [{ dst: VIP, dev: 'lo', scope: 'link', flags: [] }];
  const table = { family: 'arp', name: 'rs_agent', table: 'rs_agent' };
  const match = (field, right) => ({ match: { op: '==', left: { payload: { protocol: 'arp', field } }, right } });
  const nft = {
    nftables: [
      { table: { family: 'arp', name: 'rs_agent', handle: 1 } },
      { set: { ...table, name: 'vips4', type: 'ipv4_addr', flags: ['interval'], elem: [VIP] } },
      { chain: { ...table, name: 'input', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      { chain: { ...table, name: 'output', type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
      {
        rule: { ...table, chain: 'input', expr: [match('operation', 'request'), match('daddr ip', '@vips4'), drop()] },
      },
      { rule: { ...table, chain: 'output', expr: [match('saddr ip', '@vips4'), drop()] } },
    ],
  };
  const script = (name, text) => {
    writeFileSync(join(bin, name), `#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n${text}\nEOF\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script('ip', `${JSON.stringify(links)}\n${JSON.stringify(routes)}`);
  script('nft', JSON.stringify(nft));
  const config = join(work, 'rs-agent.yaml');
  writeFileSync(config, `mode: dr\nvips:\n  - ${VIP}\n`, { mode: 0o600 });
  const stateDir = join(work, 'state');
  const argv = ['--require', __filename, join(dir, 'main.js'), 'check', '--config', config, '--state-dir', stateDir];
  const result = spawnSync(process.execPath, argv, {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, [CACHE_ENV]: cacheFile },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status === 0 || result.status === 1) return 0;
  process.stderr.write(`the training check exited ${result.status ?? result.signal}: ${result.stderr}`);
  return 1;
}

function drop() {
  return { drop: null };
}

// In the training check: keeps the script build/loader.cjs makes of the bundle, and
// writes its cache when the check has finished.
function catchScript(cacheFile) {
  const vm = require('node:vm');
  const Script = vm.Script;
  let bundle;
  vm.Script = class extends Script {
    constructor(source, options) {
      super(source, options);
      bundle = this;
    }
  };
  process.on('exit', () => {
    if (bundle !== undefined) writeFileSync(cacheFile, bundle.createCachedData());
  });
}
