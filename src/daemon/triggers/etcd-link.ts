import { createEtcdClient } from '../../source/etcd-client.js';
import { PrefixWatch } from '../../source/etcd-watch.js';
import { StatusWriter } from '../../source/status-writer.js';
import type { ConnectStore } from './store-link.js';

// The store link to a real etcd: the client (loaded only here), a prefix watch whose
// retries wait on the daemon's scheduler, and the status writer.
export const connectEtcd: ConnectStore = async (store, timers, warn) => {
  const client = await createEtcdClient(store);
  const status = new StatusWriter(client, store.prefix, store.statusTtlS, warn);
  let watch: PrefixWatch | null = null;
  return {
    get revision() {
      return watch?.revision ?? 0;
    },
    open(events) {
      watch = new PrefixWatch(client, store.prefix, events, timers);
      return watch.start();
    },
    writeStatus: (record) => status.write(record),
    retryStatus: () => status.retry(),
    close() {
      void Promise.all([watch?.stop(), status.stop()]).finally(() => client.close());
    },
  };
};
