import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import type { Endpoint, HealthConfig } from '../config/types.js';
import { AgentError } from '../errors.js';
import { healthAnswer, type HealthAnswer, type HealthState, type ServiceResult } from './answer.js';
import { checkService, endpointText } from './service-check.js';

// The endpoints `rs-agent run` serves the director: GET /health (keepalived HTTP_GET,
// ldirectord negotiate, HAProxy httpchk) and HAProxy's agent-check line. They read what
// the daemon last published and the drain record, never the lock: an answer never waits
// for a pass. Bounded: few connections at once, a short time each, no request body read.

const MAX_CONNECTIONS = 64;
const HEADERS_TIMEOUT_MS = 2000;

export interface HealthService {
  close(): Promise<void>;
  listening: string[]; // "http 192.0.2.21:9100", "agent 192.0.2.21:9101"
}

// Binds the configured endpoints (none configured: null). state() is called per request.
// onChange hears each new answer state (pooled → draining → …), for the log.
export async function startHealth(
  config: HealthConfig,
  state: () => HealthState,
  onChange: (answer: HealthAnswer) => void = () => {},
): Promise<HealthService | null> {
  if (config.listen === null && config.agent === null) return null;
  let last: HealthAnswer['state'] | null = null;
  let inflight: Promise<ServiceResult> | null = null;
  // One service check at a time, shared by the requests that arrive while it runs.
  const service = (): Promise<ServiceResult | null> => {
    if (config.check === null) return Promise.resolve(null);
    inflight ??= checkService(config.check, config.checkTimeoutMs).finally(() => (inflight = null));
    return inflight;
  };
  const answer = async (): Promise<HealthAnswer> => {
    const a = healthAnswer(state(), await service(), config.agentWeight);
    if (a.state !== last) onChange(a);
    last = a.state;
    return a;
  };
  const servers: Server[] = [];
  const listening: string[] = [];
  const close = () => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))).then(() => {});
  try {
    if (config.listen) {
      const bound = HEADERS_TIMEOUT_MS + config.checkTimeoutMs;
      const http = createHttpServer(
        { requestTimeout: bound, headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 500 },
        (req, res) => void serveHttp(req, res, answer),
      );
      http.maxConnections = MAX_CONNECTIONS;
      // An idle connection (nothing sent, or the answer sent and not closed) goes.
      http.setTimeout(bound, (socket) => socket.destroy());
      servers.push(http);
      listening.push(`http ${await listen(http, config.listen, 'health.listen')}`);
    }
    if (config.agent) {
      const agent = createTcpServer({ pauseOnConnect: true }, (socket) => {
        socket.setTimeout(HEADERS_TIMEOUT_MS + config.checkTimeoutMs, () => socket.destroy());
        socket.on('error', () => socket.destroy());
        // Written, then closed: nothing the checker sends is ever read.
        void answer().then((a) => socket.end(`${a.agent}\n`, () => socket.destroy()));
      });
      agent.maxConnections = MAX_CONNECTIONS;
      servers.push(agent);
      listening.push(`agent ${await listen(agent, config.agent, 'health.agent')}`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { close, listening };
}

// GET or HEAD /health; the body (GET) is the reasons, one a line.
async function serveHttp(req: IncomingMessage, res: ServerResponse, answer: () => Promise<HealthAnswer>) {
  res.setHeader('Connection', 'close');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end('only GET and HEAD\n');
    return;
  }
  if (path !== '/health') {
    res.writeHead(404).end(req.method === 'HEAD' ? undefined : 'not found: the health endpoint is /health\n');
    return;
  }
  const a = await answer();
  const body = `${a.lines.join('\n')}\n`;
  res.writeHead(a.status, { 'Content-Length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
}

// Listens; resolves with the address and port bound.
function listen(server: Server, at: Endpoint, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(bindError(error, at, key)));
    server.listen({ host: at.address, port: at.port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? endpointText(bound.address, bound.port) : String(bound));
    });
  });
}

// EADDRINUSE: another process has the port (exit 2: a restart will not help).
// EADDRNOTAVAIL: not an address of this host, perhaps not yet (exit 1: the service
// manager may try again once the network is up).
function bindError(error: NodeJS.ErrnoException, at: Endpoint, key: string): AgentError {
  const where = `${key} ${endpointText(at.address, at.port)}`;
  if (error.code === 'EADDRINUSE')
    return new AgentError(`${where}: the port is in use by another process; pick a free port for ${key}`);
  if (error.code === 'EADDRNOTAVAIL')
    return new AgentError(`${where}: not an address of this host (yet?); ${key} must be this server's own address`, 1);
  if (error.code === 'EACCES') return new AgentError(`${where}: permission denied`);
  return new AgentError(`${where}: cannot listen: ${error.message}`);
}
