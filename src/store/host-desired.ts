import type { VipConfig } from '../config/types.js';
import { AgentError } from '../errors.js';
import { parseDocument, type StoreDocument } from './document.js';
import { parseKey, selectorMatches } from './layout.js';

export interface StoreEntry {
  value: string;
  modRevision: number;
}

// The prefix as read at one revision (a range read, then the watch's events).
export interface StoreView {
  revision: number;
  entries: Map<string, StoreEntry>;
}

// What the store asks of one host at one revision.
export interface HostDesired {
  revision: number; // the store revision read
  docRevision: number; // the newest revision among the keys that concern this host
  vips: VipConfig[];
  keys: string[]; // the documents that concern this host
  allowEmpty: boolean; // an allow-empty key names this host (or all)
  groups: { name: string; selector: Record<string, string> }[]; // the groups whose selector matches this host
  errors: string[]; // documents refused; each one's last valid value stays in force
}

interface Parsed {
  modRevision: number;
  doc: StoreDocument;
}

// Turns store views into this host's desired VIPs. Keeps each document's last valid
// value: a value that does not validate is refused and the one before it stays.
export class DocumentBook {
  private readonly good = new Map<string, Parsed>();
  private readonly refused = new Map<string, { modRevision: number; message: string }>();

  constructor(
    private readonly prefix: string,
    private readonly host: string,
    private readonly labels: Record<string, string>,
  ) {}

  resolve(view: StoreView): HostDesired {
    const groups: [string, StoreDocument][] = [];
    const own: [string, StoreDocument][] = [];
    const errors: string[] = [];
    let allowEmpty = false;
    let docRevision = 0;
    const concern = (key: string) => (docRevision = Math.max(docRevision, view.entries.get(key)?.modRevision ?? 0));
    for (const key of [...this.good.keys(), ...this.refused.keys()]) {
      if (!view.entries.has(key)) {
        this.good.delete(key);
        this.refused.delete(key);
      }
    }
    for (const key of [...view.entries.keys()].sort()) {
      const parsed = parseKey(this.prefix, key);
      if (!parsed || !['allow-empty', 'group', 'host'].includes(parsed.kind)) continue;
      if (parsed.kind === 'allow-empty') {
        if (parsed.name === this.host || parsed.name === 'all') {
          allowEmpty = true;
          concern(key);
        }
        continue;
      }
      if (parsed.kind === 'host' && parsed.name !== this.host) continue;
      const doc = this.documentAt(key, parsed, view.entries.get(key)!, errors);
      if (!doc) continue;
      if (parsed.kind === 'host') own.push([key, doc]);
      else if (selectorMatches(doc.selector ?? {}, this.labels)) groups.push([key, doc]);
    }
    const { vips, conflicts } = mergeDocuments(groups, own);
    for (const [key] of [...groups, ...own]) concern(key);
    return {
      revision: view.revision,
      docRevision,
      vips,
      keys: [...groups, ...own].map(([k]) => k),
      allowEmpty,
      groups: groups.map(([key, doc]) => ({
        name: key.slice(`${this.prefix}groups/`.length),
        selector: doc.selector ?? {},
      })),
      errors: [...errors, ...conflicts],
    };
  }

  // The document's current value if it validates, else its last valid one (or none).
  private documentAt(
    key: string,
    parsed: ReturnType<typeof parseKey> & object,
    entry: StoreEntry,
    errors: string[],
  ): StoreDocument | null {
    const known = this.good.get(key);
    const refused = this.refused.get(key);
    if (known?.modRevision === entry.modRevision) return known.doc;
    if (refused?.modRevision === entry.modRevision) {
      // A refused group concerns this host if its last valid value did, or if it never had one.
      if (parsed.kind === 'host' || !known || selectorMatches(known.doc.selector ?? {}, this.labels))
        errors.push(refused.message);
      return known?.doc ?? null;
    }
    try {
      const doc = parseDocument(key, parsed, entry.value);
      this.good.set(key, { modRevision: entry.modRevision, doc });
      this.refused.delete(key);
      return doc;
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      const message = `${error.message} (revision ${entry.modRevision}; ${known ? `its value of revision ${known.modRevision} stays in force` : 'ignored'})`;
      this.refused.set(key, { modRevision: entry.modRevision, message });
      return this.documentAt(key, parsed, entry, errors);
    }
  }
}

// Groups in key order, then the host's own key: a VIP named twice keeps the host
// key's mode (a per-host override), else the first group's; two groups disagreeing
// on a mode is reported.
export function mergeDocuments(
  groups: [string, StoreDocument][],
  own: [string, StoreDocument][],
): { vips: VipConfig[]; conflicts: string[] } {
  const byAddress = new Map<string, { vip: VipConfig; key: string }>();
  const conflicts: string[] = [];
  for (const [key, doc] of groups) {
    for (const vip of doc.vips) {
      const earlier = byAddress.get(vip.address);
      if (!earlier) byAddress.set(vip.address, { vip, key });
      else if (earlier.vip.mode !== vip.mode) {
        conflicts.push(
          `etcd key ${key}: VIP ${vip.address} is mode ${vip.mode} here but ${earlier.vip.mode} in ${earlier.key}; ${earlier.key} wins`,
        );
      }
    }
  }
  for (const [key, doc] of own) for (const vip of doc.vips) byAddress.set(vip.address, { vip, key });
  return { vips: [...byAddress.values()].map((v) => v.vip), conflicts };
}
