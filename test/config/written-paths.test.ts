import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { renderMetrics } from '../../src/daemon/metrics.js';
import { initialStats } from '../../src/daemon/stats.js';
import { setDrain } from '../../src/drain/record.js';
import { writeCache } from '../../src/store/cache.js';
import { ConfigError } from '../../src/errors.js';
import { useTempDir } from '../helpers/temp-dir.js';

// Where the config has rs-agent write (metrics.file, source.etcd.cache), checked when it
// is loaded against the real file system: a ConfigError naming the key and value. A directory
// of another user is written-paths-owner.test.ts (the kernel tier: giving it away takes root).

describe('loadConfig: the files the config has rs-agent write', () => {
  const dir = useTempDir('rsa-written-');
  const load = (yaml: string) => {
    const path = join(dir(), 'rs-agent.yaml');
    writeFileSync(path, yaml);
    return () => loadConfig(path);
  };
  const metrics = (file: string) => load(`vips: [192.0.2.10]\nmetrics: {file: ${file}}\n`);
  const cache = (file: string) =>
    load(`source: {etcd: {endpoints: ["https://192.0.2.1:2379"], cache: ${file}}}\nhost: rs1\n`);
  const refusal = (key: string, detail: string) => `config ${join(dir(), 'rs-agent.yaml')}: ${key}: ${detail}`;

  it('accepts a missing file in a missing directory, and the files rs-agent wrote', () => {
    expect(metrics(join(dir(), 'textfile', 'rs-agent.prom'))).not.toThrow();
    expect(cache(join(dir(), 'lib', 'rs-agent', 'desired-cache.json'))).not.toThrow();
    const prom = join(dir(), 'rs-agent.prom');
    writeFileSync(prom, renderMetrics(initialStats(1, new Date(), 'x.yaml')));
    expect(metrics(prom)).not.toThrow();
    const cached = join(dir(), 'desired-cache.json');
    writeCache(cached, 'rs1', 7, [{ address: '192.0.2.10', family: 4, mode: 'dr' }], ['/rs-agent/hosts/rs1']);
    expect(cache(cached)).not.toThrow();
  });

  it("refuses a file that rs-agent did not write (a root-only system file, another tool's metrics)", () => {
    const other = join(dir(), 'node.prom');
    writeFileSync(other, '# HELP node_boot_time_seconds ...\n', { mode: 0o600 });
    expect(metrics(other)).toThrow(ConfigError);
    expect(metrics(other)).toThrow(
      refusal(
        'metrics.file',
        `"${other}" exists and is not a metrics file rs-agent wrote; rs-agent replaces only its own file there: name another path, or move the file away`,
      ),
    );
    const shadow = join(dir(), 'shadow');
    writeFileSync(shadow, 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    expect(cache(shadow)).toThrow(/source\.etcd\.cache: ".*\/shadow" exists and is not a cache rs-agent wrote/);
    writeFileSync(shadow, '{"host": "rs1"}\n'); // JSON, but no cache
    expect(cache(shadow)).toThrow(/exists and is not a cache rs-agent wrote/);
  });

  it('refuses an existing directory and a symlink', () => {
    mkdirSync(join(dir(), 'is-a-dir.prom'));
    expect(metrics(join(dir(), 'is-a-dir.prom'))).toThrow(
      refusal('metrics.file', `"${join(dir(), 'is-a-dir.prom')}" is a directory, not a file`),
    );
    symlinkSync('/etc/passwd', join(dir(), 'link.json'));
    expect(cache(join(dir(), 'link.json'))).toThrow(
      refusal('source.etcd.cache', `"${join(dir(), 'link.json')}" is a symlink; name the file itself`),
    );
  });

  // drain sets the record by renaming a file over it, undrain removes it: drain.file
  // naming a root-only system file would replace or delete that file.
  it('drain.file: the record rs-agent wrote is accepted; another file or a symlink is refused', () => {
    const drain = (file: string) => load(`vips: [192.0.2.10]\ndrain: {file: ${file}}\n`);
    const record = join(dir(), 'lib', 'drain');
    expect(drain(record)).not.toThrow();
    setDrain(record, 'operator');
    expect(drain(record)).not.toThrow();
    const shadow = join(dir(), 'shadow');
    writeFileSync(shadow, 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    expect(drain(shadow)).toThrow(
      refusal(
        'drain.file',
        `"${shadow}" exists and is not a drain record rs-agent wrote; rs-agent replaces only its own file there: name another path, or move the file away`,
      ),
    );
    symlinkSync(record, join(dir(), 'link'));
    expect(drain(join(dir(), 'link'))).toThrow(
      refusal('drain.file', `"${join(dir(), 'link')}" is a symlink; name the file itself`),
    );
  });
});
