'use strict';
// Preloaded (--require) into the check build/train-cache.mjs runs. It answers the ARP
// sysctls' reads as a converged host's /proc/sys would (the build machine's own values are
// whatever they are), keeps the script build/loader.cjs makes of the bundle and, when the
// process exits, writes V8's code cache for it to $RS_AGENT_BUILD_CACHE_OUT. Made then, the
// cache holds every function the check compiled as it ran, not only the top level.
const fs = require('node:fs');
const vm = require('node:vm');

const CONVERGED = { arp_ignore: '1\n', arp_announce: '2\n' };
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  // rs-agent names the file as bytes (a device's name need not be UTF-8).
  const name = Buffer.isBuffer(path) ? path.toString('latin1') : path;
  const sysctl = typeof name === 'string' && /^\/proc\/sys\/net\/ipv4\/conf\/[^/]+\/(arp_\w+)$/.exec(name);
  return sysctl && CONVERGED[sysctl[1]] !== undefined ? CONVERGED[sysctl[1]] : readFileSync.call(this, path, ...rest);
};

const out = process.env.RS_AGENT_BUILD_CACHE_OUT;
const Script = vm.Script;
let bundle;
vm.Script = class extends Script {
  constructor(source, options) {
    super(source, options);
    bundle ??= this;
  }
};
process.on('exit', () => {
  if (bundle !== undefined && out) fs.writeFileSync(out, bundle.createCachedData());
});
