import { createEtcdClient } from '../../store/etcd-client.js';
import { DrainSlots } from '../../store/drain-slots.js';
import { PrefixWatch } from '../../store/etcd-watch.js';
import { StatusWriter } from '../../store/status-writer.js';
import type { ConnectStore } from './store-link.js';

// The store link to a real etcd: the client (loaded only here), a prefix watch whose
// retries wait on the daemon's scheduler, the status writer, and the drain budget's slots.
export const connectEtcd: ConnectStore = async (store, timers, warn, duplicate) => {
  const client = await createEtcdClient(store);
  const status = new StatusWriter(client, store.prefix, store.statusTtlS, warn, duplicate);
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
    slots: (onLost) => new DrainSlots(client, store.prefix, store.statusTtlS, onLost),
    close() {
      void Promise.all([watch?.stop(), status.stop()]).finally(() => client.close());
    },
  };
};
