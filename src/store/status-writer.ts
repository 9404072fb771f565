import type { Etcd3, Lease } from 'etcd3';
import { statusKey, trackedKey } from './layout.js';
import type { HostStatus } from './status-record.js';
import { describeStoreError } from './store-error.js';

// Puts this host's status under a lease the client keeps alive. A lease the store
// says is gone (expired while the store or this host was away) is replaced at the
// next write. A write that fails is kept and retried: the newest status wins. Each
// status also puts when it was written under tracked/<host>, without a lease: once the
// lease expires (the host died, or is cut off) fleet status still lists it, as down.
export class StatusWriter {
  private lease: Lease | null = null;
  private pending: HostStatus | null = null;
  private last: HostStatus | null = null;
  private writing = false;
  private stopped = false;
  private failing = false; // logged once until a write succeeds again
  private written = 0; // the store revision of this writer's last status

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly ttlS: number,
    private readonly onError: (message: string) => void,
    // Another agent's id found under this status key between two of this writer's writes:
    // two hosts share the host name.
    private readonly onDuplicate: (other: string) => void = () => undefined,
  ) {}

  write(status: HostStatus): void {
    this.pending = status;
    void this.flush();
  }

  // After the store comes back: whatever could not be written goes now.
  retry(): void {
    void this.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // The status stays until its lease expires: a restart does not blank the fleet view.
    this.lease?.release();
  }

  private async flush(): Promise<void> {
    if (this.writing || this.stopped || !this.pending) return;
    this.writing = true;
    const status = this.pending;
    try {
      const lease = this.currentLease();
      // The value it replaces comes back with the put: no extra read.
      const previous = await lease.put(statusKey(this.prefix, status.host)).value(JSON.stringify(status)).getPrevious();
      this.compare(status, previous);
      const seen = { host: status.host, seenAt: status.updatedAt };
      await this.client.put(trackedKey(this.prefix, status.host)).value(JSON.stringify(seen)).exec();
      this.last = status;
      this.failing = false;
      if (this.pending === status) this.pending = null;
    } catch (error) {
      this.dropLease();
      if (!this.failing)
        this.onError(
          `status ${statusKey(this.prefix, status.host)} not written (kept for when the store is back): ${describeStoreError(error).text}`,
        );
      this.failing = true;
    } finally {
      this.writing = false;
    }
    if (this.pending && this.pending !== status) void this.flush();
  }

  // Whoever wrote the key since this writer's last write. The first write of a process replaces
  // its predecessor's status (a restart), so only later ones count.
  private compare(
    status: HostStatus,
    previous: { mod_revision?: unknown; value?: Buffer | null; header: { revision: unknown } },
  ): void {
    const since = this.written;
    this.written = Number(previous.header.revision);
    if (since === 0 || !previous.value || Number(previous.mod_revision) <= since) return;
    const other = instanceOf(previous.value.toString());
    if (other !== null && other !== status.instance) this.onDuplicate(other);
  }

  private currentLease(): Lease {
    if (!this.lease) {
      const lease = this.client.lease(this.ttlS);
      lease.on('lost', () => {
        if (this.lease !== lease) return;
        this.dropLease();
        // The key went with the lease: write it again under a new one.
        this.pending ??= this.last;
        void this.flush();
      });
      this.lease = lease;
    }
    return this.lease;
  }

  private dropLease(): void {
    const lease = this.lease;
    this.lease = null;
    if (lease && !lease.revoked()) lease.release();
  }
}

// The instance field of a status record, if it has one that can be shown.
function instanceOf(text: string): string | null {
  try {
    const value = (JSON.parse(text) as { instance?: unknown } | null)?.instance;
    return typeof value === 'string' && /^[0-9a-f]{1,32}$/.test(value) ? value : null;
  } catch {
    return null;
  }
}
