import { request, createServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthConfig } from '../../src/config/types.js';
import { AgentError } from '../../src/errors.js';
import type { HealthAnswer, HealthState } from '../../src/health/answer.js';
import { startHealth, type HealthService } from '../../src/health/server.js';

// The endpoints on the loopback address, each on a port the kernel picks (port 0).
const LOOPBACK = { address: '127.0.0.1', port: 0 };
const base: HealthConfig = { listen: LOOPBACK, agent: LOOPBACK, agentWeight: null, check: null, checkTimeoutMs: 300 };
const pooled: HealthState = { verdict: { inSync: true, why: [] }, drain: null };

let service: HealthService | null = null;
const others: (Server | HttpServer)[] = [];
afterEach(async () => {
  await service?.close();
  service = null;
  for (const s of others.splice(0)) await new Promise((resolve) => s.close(resolve));
});

const portOf = (kind: 'http' | 'agent') =>
  Number(
    service?.listening
      .find((l) => l.startsWith(kind))
      ?.split(':')
      .pop(),
  );

function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: portOf('http'), path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function agentLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const s = connect({ host: '127.0.0.1', port: portOf('agent') });
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

describe('the health endpoints', () => {
  it('GET /health: 200 pooled; the state is read per request; HEAD has no body; agent-check says the same', async () => {
    let state = pooled;
    const changes: HealthAnswer['state'][] = [];
    service = await startHealth(
      { ...base, agentWeight: 80 },
      () => state,
      (a) => changes.push(a.state),
    );
    const ok = await get('/health');
    expect(ok).toMatchObject({ status: 200, body: 'pooled: in sync\n' });
    expect(ok.headers).toMatchObject({ connection: 'close', 'cache-control': 'no-store', 'content-length': '16' });
    expect(await agentLine()).toBe('up ready 80%\n');
    state = { ...pooled, drain: { state: 'draining', since: '2030-01-01T00:00:00.000Z', by: 'operator' } };
    expect(await get('/health')).toMatchObject({ status: 503, body: 'draining since 2030-01-01T00:00:00.000Z\n' });
    expect(await get('/health', 'HEAD')).toMatchObject({ status: 503, body: '' });
    expect(await agentLine()).toBe('drain\n');
    expect(changes).toEqual(['pooled', 'draining']); // each change once
  });

  it('only GET and HEAD, only /health', async () => {
    service = await startHealth(base, () => pooled);
    expect(await get('/health', 'POST')).toMatchObject({ status: 405 });
    expect((await get('/health', 'DELETE')).headers.allow).toBe('GET, HEAD');
    expect(await get('/', 'GET')).toMatchObject({ status: 404 });
    expect(await get('/health?x=1', 'GET')).toMatchObject({ status: 200 });
  });

  it('a client that connects and sends nothing holds up no one else', async () => {
    service = await startHealth(base, () => pooled);
    const idle = connect({ host: '127.0.0.1', port: portOf('http') });
    await new Promise((resolve) => idle.once('connect', resolve));
    expect((await get('/health')).status).toBe(200);
    idle.destroy();
  });

  it('the service check: an answer is 200, a refused connection or a hung service is 503 naming it, never a hung endpoint', async () => {
    const web = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(req.url === '/ok' ? 200 : 500).end();
    });
    others.push(web);
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const port = (web.address() as { port: number }).port;
    const at = (path: string): HealthConfig => ({
      ...base,
      check: { kind: 'http', url: `http://127.0.0.1:${port}${path}` },
    });

    service = await startHealth(at('/ok'), () => pooled);
    expect(await get('/health')).toMatchObject({
      status: 200,
      body: `pooled: in sync; service: http://127.0.0.1:${port}/ok answered 200\n`,
    });
    await service?.close();
    service = await startHealth(at('/fail'), () => pooled);
    expect(await get('/health')).toMatchObject({
      status: 503,
      body: `service: http://127.0.0.1:${port}/fail answered 500\n`,
    });
    await service?.close();
    service = await startHealth(at('/hang'), () => pooled);
    expect(await get('/health')).toMatchObject({
      status: 503,
      body: `service: http://127.0.0.1:${port}/hang: no answer within 0.3 s\n`,
    });
    await service?.close();

    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    service = await startHealth(
      { ...base, check: { kind: 'tcp', address: '127.0.0.1', port: freePort } },
      () => pooled,
    );
    const refused = await get('/health');
    expect(refused.status).toBe(503);
    expect(refused.body).toBe(`service: 127.0.0.1:${freePort}: connect ECONNREFUSED 127.0.0.1:${freePort}\n`);
    expect(await agentLine()).toBe(`down#service: 127.0.0.1:${freePort}: connect ECONNREFUSED 127.0.0.1:${freePort}\n`);
  });

  it('a port in use: exit 2 naming the key and the address; an address not on this host: exit 1', async () => {
    const taken = createTcpServer();
    others.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const inUse = await startHealth(
      { ...base, agent: null, listen: { address: '127.0.0.1', port } },
      () => pooled,
    ).catch((e: unknown) => e);
    expect(inUse).toBeInstanceOf(AgentError);
    expect((inUse as AgentError).message).toBe(
      `health.listen 127.0.0.1:${port}: the port is in use by another process; pick a free port for health.listen`,
    );
    expect((inUse as AgentError).exitCode).toBe(2);
    const elsewhere = await startHealth(
      { ...base, listen: null, agent: { address: '192.0.2.250', port: 9101 } },
      () => pooled,
    ).catch((e: unknown) => e);
    expect((elsewhere as AgentError).message).toMatch(
      /^health\.agent 192\.0\.2\.250:9101: not an address of this host/,
    );
    expect((elsewhere as AgentError).exitCode).toBe(1);
  });

  it('nothing configured: nothing served', async () => {
    expect(await startHealth({ ...base, listen: null, agent: null }, () => pooled)).toBeNull();
  });
});
