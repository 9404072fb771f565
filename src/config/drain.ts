import { isIP } from 'node:net';
import { canonicalIPv6, parseIPv4 } from './address.js';
import { durationMs } from './drift.js';
import { validateFilePath } from './file-path.js';
import { expectMapping, show, type Fail } from './schema.js';
import type { DrainConfig, Endpoint, HealthConfig, ServiceCheck } from './types.js';

// The `drain:` and `health:` sections: how `rs-agent drain` waits, and where `rs-agent
// run` tells the director whether to send this server new connections.

export const DEFAULT_DRAIN_FILE = '/var/lib/rs-agent/drain';
export const DEFAULT_DRAIN: DrainConfig = {
  quietMs: 10_000,
  timeoutMs: 300_000,
  onStop: false,
  file: DEFAULT_DRAIN_FILE,
};
export const DEFAULT_HEALTH: HealthConfig = {
  listen: null,
  agent: null,
  agentWeight: null,
  check: null,
  checkTimeoutMs: 2000,
};

export function validateDrain(value: unknown, fail: Fail): DrainConfig {
  if (value === undefined || value === null) return { ...DEFAULT_DRAIN };
  const drain = expectMapping(value, 'drain', fail, ['quiet', 'timeout', 'on_stop', 'file']);
  const ms = (key: string, fallback: number, range: { min: number; max: number }) =>
    drain[key] === undefined ? fallback : durationMs(drain[key], `drain.${key}`, fail, range);
  const onStop = drain.on_stop ?? false;
  if (typeof onStop !== 'boolean') fail('drain.on_stop', `${show(onStop)} must be true or false`);
  // Where it may be (a directory only root can change) is checked when the config is
  // loaded (written-paths.ts), like metrics.file.
  const file = validateFilePath(drain.file ?? DEFAULT_DRAIN_FILE, 'drain.file', fail);
  return {
    quietMs: ms('quiet', DEFAULT_DRAIN.quietMs, { min: 1000, max: 600_000 }),
    timeoutMs: ms('timeout', DEFAULT_DRAIN.timeoutMs, { min: 1000, max: 86_400_000 }),
    onStop: onStop as boolean,
    file,
  };
}

// vips: the config's VIPs, which the endpoints must never listen on.
export function validateHealth(value: unknown, vips: readonly string[], fail: Fail): HealthConfig {
  if (value === undefined || value === null) return { ...DEFAULT_HEALTH };
  const health = expectMapping(value, 'health', fail, ['listen', 'agent', 'agent_weight', 'check', 'check_timeout']);
  const listen = health.listen == null ? null : validateEndpoint(health.listen, 'health.listen', vips, fail);
  const agent = health.agent == null ? null : validateEndpoint(health.agent, 'health.agent', vips, fail);
  if (listen && agent && listen.address === agent.address && listen.port === agent.port)
    fail('health.agent', `${show(health.agent)} is also health.listen; the two need a port each`);
  const weight = health.agent_weight ?? null;
  if (weight !== null && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 256))
    fail(
      'health.agent_weight',
      `${show(weight)} must be a whole number from 0 to 256 (percent of the configured weight)`,
    );
  if (weight !== null && agent === null)
    fail('health.agent_weight', 'needs health.agent: the weight is what the agent-check answer carries');
  const check = health.check == null ? null : validateCheck(health.check, fail);
  const checkTimeoutMs =
    health.check_timeout === undefined
      ? DEFAULT_HEALTH.checkTimeoutMs
      : durationMs(health.check_timeout, 'health.check_timeout', fail, { min: 100, max: 10_000 });
  if (check !== null && listen === null && agent === null)
    fail('health.check', 'needs health.listen or health.agent: the check is what they answer on');
  return { listen, agent, agentWeight: weight as number | null, check, checkTimeoutMs };
}

// "ADDRESS:PORT" ("[IPv6]:PORT"): one address of this server's own, never a wildcard
// (which would answer on the VIPs too) and never a VIP.
function validateEndpoint(value: unknown, path: string, vips: readonly string[], fail: Fail): Endpoint {
  const example = "write ADDRESS:PORT, e.g. 192.0.2.21:9100 or [2001:db8::21]:9100 (this server's own address)";
  if (typeof value !== 'string') return fail(path, `${show(value)} is not an address and port; ${example}`);
  const endpoint = parseEndpoint(value);
  if (endpoint === null) return fail(path, `${show(value)} is not an address and port; ${example}`);
  if (endpoint.address === '0.0.0.0' || endpoint.address === '::')
    fail(path, `${show(value)} listens on every address, the VIPs included; name this server's own address`);
  if (vips.includes(endpoint.address))
    fail(path, `${show(value)} is a VIP: the director must reach this server's own address, not the pool's`);
  return endpoint;
}

export function parseEndpoint(text: string): Endpoint | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const host = m[1] as string;
  if (parseIPv4(host)) return { address: host, port };
  if (isIP(host) === 6 && !host.includes('%') && text.startsWith('[')) return { address: canonicalIPv6(host), port };
  return null;
}

function validateCheck(value: unknown, fail: Fail): ServiceCheck {
  const example = 'an http:// URL of the local service (e.g. http://127.0.0.1:8080/ping) or its TCP ADDRESS:PORT';
  if (typeof value !== 'string') return fail('health.check', `${show(value)} is not ${example}`);
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail('health.check', `${show(value)} is not a URL; use ${example}`);
    }
    if (url.protocol !== 'http:')
      fail('health.check', `${show(value)}: only http:// (the check talks to a local service; TLS adds nothing there)`);
    if (url.username || url.password) fail('health.check', `${show(value)}: no credentials in the URL`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!parseIPv4(host) && isIP(host) !== 6)
      fail('health.check', `${show(value)}: name the service by address (a name lookup could hang the check)`);
    return { kind: 'http', url: url.href };
  }
  const endpoint = parseEndpoint(value);
  if (endpoint === null) return fail('health.check', `${show(value)} is not ${example}`);
  return { kind: 'tcp', ...endpoint };
}
