import { request } from 'node:http';
import { connect } from 'node:net';
import type { ServiceCheck } from '../config/types.js';
import type { ServiceResult } from './answer.js';

// The local service the health endpoint vouches for: an HTTP GET answered 2xx or 3xx, or
// a TCP connection accepted, within the timeout. Never longer: a hung service is a
// failed check, not a hung endpoint.
export function checkService(check: ServiceCheck, timeoutMs: number): Promise<ServiceResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ServiceResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const what = check.kind === 'http' ? check.url : endpointText(check.address, check.port);
    const timer = setTimeout(() => {
      done({ ok: false, detail: `${what}: no answer within ${timeoutMs / 1000} s` });
      cancel();
    }, timeoutMs);
    let cancel = () => {};
    if (check.kind === 'http') {
      const req = request(check.url, { method: 'GET', agent: false, headers: { Connection: 'close' } }, (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        done({ ok: code >= 200 && code < 400, detail: `${what} answered ${code}` });
        req.destroy();
      });
      req.on('error', (error) => done({ ok: false, detail: `${what}: ${error.message}` }));
      req.end();
      cancel = () => req.destroy();
    } else {
      const socket = connect({ host: check.address, port: check.port });
      socket.on('connect', () => {
        done({ ok: true, detail: `${what} accepts connections` });
        socket.destroy();
      });
      socket.on('error', (error) => done({ ok: false, detail: `${what}: ${error.message}` }));
      cancel = () => socket.destroy();
    }
  });
}

export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
