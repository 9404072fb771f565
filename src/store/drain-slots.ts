import type { Etcd3, Lease } from 'etcd3';
import { isHostName } from '../config/store.js';
import { budgetSlots, type DrainBudget } from './drain-keys.js';
import { drainActiveKey, drainActiveRange, selectorMatches, statusKey } from './layout.js';
import { readRange } from './range-read.js';
import { parseStatusRecord } from './status-check.js';

// A budgeted group's slots: drain-active/<group>/<host>, one key per host the store
// drains, each under the draining agent's lease (an agent that dies frees its slot when
// the lease expires). A slot is taken in one etcd transaction that holds only if no key
// under the group's drain-active/ was created or changed since the agent counted them
// (a compare over the whole range: its newest modification older than the count's
// revision). Whoever else took a slot meanwhile makes the transaction fail and the count
// is made again; a slot freed meanwhile only makes the count too high, never too low. So
// however many agents are asked to drain at once, at most the budget's number get a slot.

export interface BudgetOfGroup extends DrainBudget {
  selector: Record<string, string>; // who is in the group, for a percentage
}

export type SlotOutcome = { held: true; revision: number } | { held: false; refused: string };

const ATTEMPTS = 5;

export class DrainSlots {
  private lease: Lease | null = null;
  private groups: string[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly ttlS: number,
    // The lease expired or was revoked by someone else: the slots went with it.
    private readonly onLost: () => void,
  ) {}

  // The groups whose slot this agent holds.
  get held(): string[] {
    return this.groups;
  }

  // A slot in every budget given, all in one transaction, or none.
  async take(host: string, budgets: readonly BudgetOfGroup[]): Promise<SlotOutcome> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const counted = await Promise.all(budgets.map((b) => this.count(host, b)));
      const full = counted.find((c) => c.holders.length >= c.slots);
      if (full)
        return { held: false, refused: `drain refused: budget ${full.slots} of group ${full.budget.group} in use` };
      const lease = this.currentLease();
      const id = await lease.grant();
      const value = Buffer.from(JSON.stringify({ host, since: new Date().toISOString() }));
      const res = await this.client.kv.txn({
        compare: counted.map((c) => {
          const range = drainActiveRange(this.prefix, c.budget.group);
          return {
            key: Buffer.from(range.start),
            range_end: Buffer.from(range.end),
            target: 'Mod' as const,
            result: 'Less' as const,
            mod_revision: c.revision + 1,
          };
        }),
        success: budgets.map((b) => ({
          request_put: { key: Buffer.from(drainActiveKey(this.prefix, b.group, host)), value, lease: id },
        })),
        failure: [],
      });
      if (res.succeeded) {
        this.groups = budgets.map((b) => b.group);
        return { held: true, revision: Number(res.header.revision) };
      }
    }
    return { held: false, refused: 'drain refused: the budget is contended; trying again when a slot changes' };
  }

  // Gives every slot back (the lease revoked: its keys go at once). A store that does not
  // answer lets the lease expire instead.
  async release(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    this.groups = [];
    if (!lease) return;
    try {
      await lease.revoke();
    } catch {
      lease.release();
    }
  }

  // Who holds a slot of the group now (this host's own key, left by its previous run, does not
  // count: the transaction puts it under this run's lease), and how many slots there are.
  private async count(host: string, budget: BudgetOfGroup) {
    const view = await readRange(this.client, drainActiveRange(this.prefix, budget.group));
    const start = drainActiveRange(this.prefix, budget.group).start;
    const holders = [...view.entries.keys()].map((k) => k.slice(start.length)).filter((h) => h !== host);
    const members = 'percent' in budget.max ? await this.members(host, budget.selector) : 0;
    return { budget, revision: view.revision, holders, slots: budgetSlots(budget.max, members) };
  }

  // The hosts of a group, for a percentage: every host with a live status whose labels
  // match the group's selector, this one included.
  private async members(host: string, selector: Record<string, string>): Promise<number> {
    const start = statusKey(this.prefix, '');
    const view = await readRange(this.client, { start, end: `${start.slice(0, -1)}0` });
    const hosts = new Set([host]);
    for (const [key, entry] of view.entries) {
      const name = key.slice(start.length);
      if (!isHostName(name)) continue;
      const record = parseStatusRecord(name, entry.value);
      if ('status' in record && selectorMatches(selector, record.status.labels)) hosts.add(name);
    }
    return hosts.size;
  }

  private currentLease(): Lease {
    if (!this.lease) {
      const lease = this.client.lease(this.ttlS);
      lease.on('lost', () => {
        if (this.lease !== lease) return;
        this.lease = null;
        this.groups = [];
        this.onLost();
      });
      this.lease = lease;
    }
    return this.lease;
  }
}
