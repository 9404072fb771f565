import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { useTempDir } from '../helpers/temp-dir.js';

// metrics.file, source.etcd.cache and drain.file in a directory another user owns are refused when the
// config is loaded, naming the key, the value and the directory at fault. Giving a directory to
// another user takes root: this is written-paths.test.ts's case of the kernel tier.

describe('loadConfig: a file the config has rs-agent write, in a directory someone else owns', () => {
  const dir = useTempDir('rsa-written-');

  it('refuses metrics.file, source.etcd.cache and drain.file there', () => {
    const theirs = join(dir(), 'textfile');
    mkdirSync(theirs);
    chownSync(theirs, 4242, 4242);
    const config = join(dir(), 'rs-agent.yaml');
    const prom = join(theirs, 'rs-agent.prom');
    writeFileSync(config, `vips: [192.0.2.10]\nmetrics: {file: ${prom}}\n`);
    expect(() => loadConfig(config)).toThrow(
      `config ${config}: metrics.file: "${prom}": ${theirs} is owned by uid 4242 and mode 0755: ` +
        'it must be owned by root and writable by no one else',
    );
    const cache = join(theirs, 'sub', 'cache.json');
    writeFileSync(config, `source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: ${cache}}}\nhost: rs1\n`);
    expect(() => loadConfig(config)).toThrow(
      `config ${config}: source.etcd.cache: "${cache}": ${theirs} is owned by uid 4242`,
    );
    const drain = join(theirs, 'drain');
    writeFileSync(config, `vips: [192.0.2.10]\ndrain: {file: ${drain}}\n`);
    expect(() => loadConfig(config)).toThrow(
      `config ${config}: drain.file: "${drain}": ${theirs} is owned by uid 4242 and mode 0755: ` +
        'it must be owned by root and writable by no one else',
    );
  });
});
