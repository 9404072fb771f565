#!/usr/bin/env node
'use strict';
// rs-agent's entry (dist/cli/main.js, written by build/bundle.mjs): runs the bundle
// with V8's code cache for it, so a cron `check` does not compile 360 KB of script
// before it starts. The cache was made at build time by the same node (its file names
// the V8 version and the architecture); another node finds none, or V8 rejects it
// (different flags), and compiles the bundle as node would. A plain script, not an ES
// module: node starts one without setting up its ES module loader.
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const bundle = join(__dirname, '@BUNDLE@');
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, `@CACHE_PREFIX@.${process.arch}-v8-${process.versions.v8}.cache`));
} catch {
  // No cache for this node: compile.
}
// The bundle is ASCII (the build checks): latin1 reads it without decoding UTF-8. Its
// name in stacks is the bare file name, as in the cache (V8 keeps the name a cached script
// was made with): src/system/stack.ts finds the map beside the bundle.
const script = new Script(readFileSync(bundle, 'latin1'), { filename: '@BUNDLE@', cachedData });
const module_ = { exports: {} };
script.runInThisContext()(
  module_.exports,
  createRequire(bundle),
  module_,
  bundle,
  __dirname,
  pathToFileURL(bundle).href,
);
