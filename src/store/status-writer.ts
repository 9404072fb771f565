import type { Etcd3, Lease } from 'etcd3';
import { statusKey, trackedKey } from './layout.js';
import type { HostStatus } from './status-record.js';

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

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly ttlS: number,
    private readonly onError: (message: string) => void,
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
      await lease.put(statusKey(this.prefix, status.host)).value(JSON.stringify(status)).exec();
      const seen = { host: status.host, seenAt: status.updatedAt };
      await this.client.put(trackedKey(this.prefix, status.host)).value(JSON.stringify(seen)).exec();
      this.last = status;
      this.failing = false;
      if (this.pending === status) this.pending = null;
    } catch (error) {
      this.dropLease();
      if (!this.failing)
        this.onError(`status not written (kept for when the store is back): ${(error as Error).message}`);
      this.failing = true;
    } finally {
      this.writing = false;
    }
    if (this.pending && this.pending !== status) void this.flush();
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
