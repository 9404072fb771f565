import type { Etcd3 } from 'etcd3';
import type { StoreCredentials } from '../config/store-credentials.js';
import type { StoreConfig } from '../config/types.js';
import { clipText, escapeText } from '../render/escape.js';
import { MAX_MESSAGE_BYTES } from './range-read.js';

// A unary call (a read, a put) gives up after this long, so a read against a member
// that is gone fails over to another quickly.
const CALL_TIMEOUT_MS = 3000;
// etcd hangs up on a client that pings more often than its --grpc-keepalive-min-time (5 s
// by default; a ping early by a millisecond counts, and the third such strike ends the
// connection with "too many pings", breaking its watch). Go clients ping every 10 s at the
// most often (grpc-go raises anything shorter to that); so does rs-agent, and only while a
// call is open.
export const KEEPALIVE_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 3000;

let grpcLog: (text: string) => void = (text) => process.stderr.write(`rs-agent: grpc: ${escapeText(clipText(text))}\n`);

// Where grpc-js's own messages go (it writes them to stderr as "E …" lines otherwise): the
// daemon's log, so that a JSON log stays JSON.
export function routeGrpcLog(write: (text: string) => void): void {
  grpcLog = write;
}

// The etcd client, loaded only here: etcd3 and grpc cost ~136 ms to import, which a
// host without a store never pays. Every endpoint is given; a call that fails on one
// member is retried on another (the client's per-host circuit breaker skips a member
// that keeps failing), and a watch stream reconnects with a short backoff.
export async function createEtcdClient(store: StoreConfig): Promise<Etcd3> {
  const [{ Etcd3, isRecoverableError }, cockatiel, grpc] = await Promise.all([
    import('etcd3'),
    import('cockatiel'),
    import('@grpc/grpc-js'),
  ]);
  const say = (message?: unknown, ...rest: unknown[]) => grpcLog([message, ...rest].map(String).join(' '));
  grpc.setLogger({ error: say, info: say, debug: say });
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
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
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
