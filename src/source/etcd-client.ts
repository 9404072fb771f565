import type { Etcd3 } from 'etcd3';
import type { StoreCredentials } from '../config/store-credentials.js';
import type { StoreConfig } from '../config/types.js';

// A unary call (a read, a put) gives up after this long, so a read against a member
// that is gone fails over to another quickly.
const CALL_TIMEOUT_MS = 3000;
const KEEPALIVE_MS = 5000;
const KEEPALIVE_TIMEOUT_MS = 2000;

// The etcd client, loaded only here: etcd3 and grpc cost ~136 ms to import, which a
// host without a store never pays. Every endpoint is given; a call that fails on one
// member is retried on another (the client's per-host circuit breaker skips a member
// that keeps failing), and a watch stream reconnects with a short backoff.
export async function createEtcdClient(store: StoreConfig): Promise<Etcd3> {
  const [{ Etcd3, isRecoverableError }, cockatiel] = await Promise.all([import('etcd3'), import('cockatiel')]);
  const { ExponentialBackoff, ConsecutiveBreaker, circuitBreaker, handleWhen, retry } = cockatiel;
  return new Etcd3({
    hosts: store.endpoints,
    // Read and checked when the config loaded (config/store-files.ts).
    ...credentialsOf(store).clientOptions(),
    dialTimeout: CALL_TIMEOUT_MS,
    // A member that vanishes without a word (a cut link, a powered-off host) leaves a
    // watch stream open for ever unless something probes it: HTTP/2 pings do.
    grpcOptions: {
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      'grpc.keepalive_permit_without_calls': 1,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) }),
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: store.endpoints.length,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
      }),
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }).next(),
    },
  });
}

function credentialsOf(store: StoreConfig): StoreCredentials {
  if (!store.credentials)
    throw new Error('the store was not read by loadConfig: its TLS and credentials files are not loaded');
  return store.credentials;
}
