import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DaemonStats } from '../../src/daemon/stats.js';
import type { PassResult } from '../../src/daemon/pass-result.js';
import { healthEndpoint } from '../../src/daemon/triggers/health-endpoint.js';
import type { TriggerContext } from '../../src/daemon/triggers/trigger-source.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { setDrain } from '../../src/drain/record.js';
import type { Logger } from '../../src/daemon/log.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The health endpoint as one of the daemon's trigger sources: it answers from the verdict
// each pass hands it (afterPass) and the drain record, never asks for a pass, and is bound
// in start and let go in stop, so a reload can bind the same port again at once.

const tempDir = useTempDir('rsa-health-source-');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.split('\n')[0]}`));
    }).on('error', reject);
  });
}

const logger: Logger = { log: () => {} } as unknown as Logger;
const pass = (over: Partial<PassResult>): PassResult => over as PassResult;
const inSync = pass({ reconcile: { verdict: { inSync: true, why: [] } } as unknown as PassResult['reconcile'] });
const drifted = pass({
  reconcile: { verdict: { inSync: false, why: ['drift: address 192.0.2.10/32 dev lo'] } } as PassResult['reconcile'],
});
const failed = pass({ reconcile: null, error: 'lock held by pid 7 for 30 s' });

describe('the health endpoint source', () => {
  it('answers from the last pass it was handed and the drain record; asks for no pass; stop lets the port go', async () => {
    const port = await freePort();
    const drain = join(tempDir(), 'drain');
    const config = parseConfig(
      `vips: [192.0.2.10]\nhealth: {listen: "127.0.0.1:${port}"}\ndrain: {file: ${drain}}\n`,
      'test.yaml',
    );
    const requests: string[] = [];
    const ctx: TriggerContext = { request: (t) => requests.push(t), scheduler: new Scheduler() };
    const source = healthEndpoint(config, logger);
    expect(source).not.toBeNull();
    await source?.start(ctx);
    try {
      expect(await get(port)).toBe('503 desired state unknown: no reconcile has finished yet');
      source?.afterPass?.(inSync, {} as DaemonStats);
      expect(await get(port)).toBe('200 pooled: in sync');
      source?.afterPass?.(drifted, {} as DaemonStats);
      expect(await get(port)).toBe('503 drift: address 192.0.2.10/32 dev lo');
      source?.afterPass?.(failed, {} as DaemonStats);
      expect(await get(port)).toBe('503 error: lock held by pid 7 for 30 s');
      source?.afterPass?.(inSync, {} as DaemonStats);
      setDrain(drain, 'operator', new Date('2030-01-01T00:00:00Z'));
      expect(await get(port)).toBe('503 draining since 2030-01-01T00:00:00.000Z');
    } finally {
      source?.stop();
    }
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
    // As a reload whose health: changed: the successor binds the same port at once.
    const next = healthEndpoint(config, logger);
    await next?.start(ctx);
    try {
      expect(await get(port)).toBe('503 draining since 2030-01-01T00:00:00.000Z');
    } finally {
      next?.stop();
    }
    expect(requests).toEqual([]);
  });

  it('none without health.listen or health.agent; its key follows health: and drain.file', () => {
    const of = (yaml: string) => healthEndpoint(parseConfig(`vips: [192.0.2.10]\n${yaml}`, 'test.yaml'), logger);
    expect(of('')).toBeNull();
    const a = of('health: {listen: "127.0.0.1:9100"}\n');
    expect(of('health: {listen: "127.0.0.1:9100"}\n')?.key).toBe(a?.key);
    expect(of('health: {listen: "127.0.0.1:9101"}\n')?.key).not.toBe(a?.key);
    expect(of('health: {listen: "127.0.0.1:9100"}\ndrain: {file: /var/lib/x/drain}\n')?.key).not.toBe(a?.key);
  });
});
