import { isIP } from 'node:net';
import { canonicalIPv6 } from '../config/address.js';
import type { StoreConfig } from '../config/types.js';
import type { StoreEndpoint } from '../model/lifelines.js';

// The addresses of the configured store endpoints, which no VIP may be (model/lifelines.ts):
// an endpoint's literal IP, or what its host name resolves to, as the etcd client resolves
// it (getaddrinfo: /etc/hosts, then DNS).
//
// A name is looked up the first time a pass needs it (waited for, at most LOOKUP_WAIT_MS),
// then again in the background at most every REFRESH_MS while passes use the last answer:
// a slow resolver never holds up a pass's repairs. A name that does not resolve stands for
// no address: nothing is refused for it, and the endpoint says why (the pass reports it).
// The agent cannot reach the store by that name either, so no VIP can cut it off from
// it now; once the name resolves to a VIP's address, the next pass refuses that VIP and
// removes it.

const LOOKUP_WAIT_MS = 2000;
const REFRESH_MS = 30_000;

export type Lookup = (name: string) => Promise<string[]>;

interface Answer {
  addresses: string[];
  error?: string;
  at: number;
  refreshing: boolean;
}

// By host name, for this process's lifetime.
const answers = new Map<string, Answer>();

export interface ResolveOptions {
  lookup?: Lookup;
  now?: () => number;
}

export async function storeEndpoints(store: StoreConfig, options: ResolveOptions = {}): Promise<StoreEndpoint[]> {
  const resolve = options.lookup ?? lookupAll;
  const now = options.now ?? Date.now;
  return Promise.all(
    store.endpoints.map(async (url, i): Promise<StoreEndpoint> => {
      const key = `source.etcd.endpoints[${i}]`;
      const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(host) !== 0) return { key, url, name: null, addresses: [canonical(host)] };
      const answer = await answerFor(host, resolve, now);
      return { key, url, name: host, addresses: answer.addresses, ...(answer.error ? { error: answer.error } : {}) };
    }),
  );
}

// Forgets every answer (tests).
export function forgetEndpointAnswers(): void {
  answers.clear();
}

async function answerFor(name: string, resolve: Lookup, now: () => number): Promise<Answer> {
  const known = answers.get(name);
  if (!known) {
    const answer = await ask(name, resolve, now);
    answers.set(name, answer);
    return answer;
  }
  if (!known.refreshing && now() - known.at >= REFRESH_MS) {
    known.refreshing = true;
    void ask(name, resolve, now).then((answer) =>
      // A failed refresh keeps the addresses the name had: a resolver gone away for a
      // while does not make the store's address a VIP's to take.
      answers.set(
        name,
        answer.error && known.addresses.length > 0 ? { ...known, at: answer.at, refreshing: false } : answer,
      ),
    );
  }
  return known;
}

async function ask(name: string, resolve: Lookup, now: () => number): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer after ${LOOKUP_WAIT_MS / 1000} s`)), LOOKUP_WAIT_MS);
    timer.unref();
  });
  try {
    const addresses = await Promise.race([resolve(name), timeout]);
    return { addresses: [...new Set(addresses.map(canonical))], at: now(), refreshing: false };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { addresses: [], error: e.code ?? e.message, at: now(), refreshing: false };
  } finally {
    clearTimeout(timer);
  }
}

// node:dns is loaded only when a store is named by host name: loading it sets up the
// resolver (reading /etc/resolv.conf), which a check without a store has no use for.
async function lookupAll(name: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  return (await lookup(name, { all: true })).map((a) => a.address);
}

function canonical(address: string): string {
  return address.includes(':') ? canonicalIPv6(address) : address;
}
