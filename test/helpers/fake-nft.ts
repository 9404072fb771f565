// The fake kernel's nftables: it reads the files rs-agent gives `nft -f` on its own
// terms (a small parser of the statements rs-agent writes, failing on anything else) and
// lists a table as `nft -j` (nft 1.0.6) prints it. It never compares a file with
// rs-agent's own renderer: a wrong ruleset shows as a wrong table, which the next
// observation reads back as not intact.

type Json = Record<string, unknown>;

export interface FakeSet {
  type: string; // "ipv4_addr", or a concatenation "ipv4_addr . inet_service"
  flags: string[];
  elements: string[];
  size?: number;
  counter?: boolean; // every element carries a counter
}

export interface FakeChain {
  type: string;
  hook: string;
  prio: number;
  policy: string;
  rules: Json[][]; // each rule's expressions, as nft -j prints them (counters included)
}

export interface FakeTable {
  family: string;
  name: string;
  sets: Map<string, FakeSet>;
  chains: Map<string, FakeChain>;
}

const PRIORITIES: Record<string, number> = { filter: 0, mangle: -150, raw: -300, dstnat: -100, srcnat: 100 };

export class FakeNft {
  readonly tables = new Map<string, FakeTable>();

  // Applies a whole file as one transaction: on any error nothing changes.
  load(file: string): void {
    const next = new Map(this.tables);
    const lines = file.split('\n').map((l) => l.trim());
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line === '') continue;
      let m = /^table (\w+) (\w+) \{\}$/.exec(line);
      if (m) {
        const id = `${m[1]} ${m[2]}`;
        if (!next.has(id)) next.set(id, emptyTable(m[1] as string, m[2] as string));
        continue;
      }
      m = /^delete table (\w+) (\w+)$/.exec(line);
      if (m) {
        const id = `${m[1]} ${m[2]}`;
        if (!next.delete(id)) throw new Error(`Error: No such file or directory\ndelete table ${id}`);
        continue;
      }
      m = /^table (\w+) (\w+) \{$/.exec(line);
      if (m) {
        const id = `${m[1]} ${m[2]}`;
        const table = next.get(id) ?? emptyTable(m[1] as string, m[2] as string);
        next.set(id, table);
        i = readTableBody(table, lines, i + 1);
        continue;
      }
      throw new Error(`fake nft: unexpected statement: ${line}`);
    }
    this.tables.clear();
    for (const [id, t] of next) this.tables.set(id, t);
  }

  // `nft -j list table F N`, or null when there is no such table.
  list(id: string): Json | null {
    const t = this.tables.get(id);
    if (!t) return null;
    const base = { family: t.family, table: t.name };
    let handle = 1;
    const items: Json[] = [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: t.family, name: t.name, handle: handle++ } },
    ];
    for (const [name, s] of t.sets) {
      items.push({
        set: {
          family: t.family,
          name,
          table: t.name,
          type: s.type.includes(' . ') ? s.type.split(' . ') : s.type,
          handle: handle++,
          ...(s.size !== undefined ? { size: s.size } : {}),
          // nft 1.0.6 leaves "dynamic" out of its JSON.
          ...(s.flags.filter((f) => f !== 'dynamic').length ? { flags: s.flags.filter((f) => f !== 'dynamic') } : {}),
          ...(s.elements.length ? { elem: s.elements.map(elementJson) } : {}),
          ...(s.counter ? { stmt: [{ counter: null }] } : {}),
        },
      });
    }
    for (const [name, c] of t.chains)
      items.push({
        chain: { ...base, name, handle: handle++, type: c.type, hook: c.hook, prio: c.prio, policy: c.policy },
      });
    for (const [name, c] of t.chains)
      for (const expr of c.rules) items.push({ rule: { ...base, chain: name, handle: handle++, expr } });
    return { nftables: items };
  }

  // What an operator's `nft flush table F N` does: every rule gone, sets and chains stay.
  flush(id: string): void {
    const t = this.tables.get(id);
    if (!t) throw new Error(`no table ${id}`);
    for (const c of t.chains.values()) c.rules = [];
  }

  elements(id: string, set: string): string[] | null {
    return this.tables.get(id)?.sets.get(set)?.elements ?? null;
  }

  ruleCount(id: string): number {
    return [...(this.tables.get(id)?.chains.values() ?? [])].reduce((n, c) => n + c.rules.length, 0);
  }
}

function emptyTable(family: string, name: string): FakeTable {
  return { family, name, sets: new Map(), chains: new Map() };
}

// Reads `set …` and `chain …` blocks up to the table's closing brace; returns its index.
function readTableBody(table: FakeTable, lines: string[], start: number): number {
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '}') return i;
    let m = /^set (\w+) \{$/.exec(line);
    if (m) {
      const set: FakeSet = { type: '', flags: [], elements: [] };
      for (i++; lines[i] !== '}'; i++) {
        const l = lines[i] as string;
        const t = /^type (\w+(?: \. \w+)*)$/.exec(l);
        const f = /^flags (\S+)$/.exec(l);
        const e = /^elements = \{ (.*) \}$/.exec(l);
        const size = /^size (\d+)$/.exec(l);
        if (t) set.type = t[1] as string;
        else if (f) set.flags = (f[1] as string).split(',');
        else if (size) set.size = Number(size[1]);
        else if (l === 'counter') set.counter = true;
        else if (e) set.elements = (e[1] as string).split(', ').sort();
        else throw new Error(`fake nft: unexpected set line: ${l}`);
      }
      if (!set.type) throw new Error(`fake nft: set ${m[1]} has no type`);
      table.sets.set(m[1] as string, set);
      continue;
    }
    m = /^chain (\w+) \{$/.exec(line);
    if (m) {
      const head = /^type (\w+) hook (\w+) priority (-?\w+); policy (\w+);$/.exec(lines[++i] as string);
      if (!head) throw new Error(`fake nft: chain ${m[1]} without a base chain header: ${lines[i]}`);
      const [, type, hook, prio, policy] = head as unknown as string[];
      const chain: FakeChain = {
        type: type as string,
        hook: hook as string,
        prio: Number.isNaN(Number(prio)) ? (PRIORITIES[prio as string] ?? NaN) : Number(prio),
        policy: policy as string,
        rules: [],
      };
      if (Number.isNaN(chain.prio)) throw new Error(`fake nft: unknown priority ${prio}`);
      for (i++; lines[i] !== '}'; i++) chain.rules.push(parseRule(lines[i] as string, table));
      table.chains.set(m[1] as string, chain);
      continue;
    }
    throw new Error(`fake nft: unexpected table line: ${line}`);
  }
  throw new Error('fake nft: table block not closed');
}

const MAXSEG = { 'tcp option': { name: 'maxseg', field: 'size' } };

// One rule of the statements rs-agent writes, as nft -j prints it; anything else throws.
export function parseRule(rule: string, table?: FakeTable): Json[] {
  const tokens = rule.match(/\{[^}]*\}|\([^)]*\)|\S+/g) ?? [];
  const out: Json[] = [];
  let i = 0;
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`fake nft: rule ends early: ${rule}`);
    return t;
  };
  const expect = (word: string) => {
    const t = next();
    if (t !== word) throw new Error(`fake nft: expected "${word}", got "${t}" in: ${rule}`);
  };
  const value = (): unknown => {
    const t = next();
    if (t.startsWith('@')) {
      if (table && !table.sets.has(t.slice(1))) throw new Error(`fake nft: no set ${t} in: ${rule}`);
      return t;
    }
    if (t.startsWith('{')) {
      const items = t
        .slice(1, -1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return items.length === 1 ? items[0] : { set: items };
    }
    return /^\d+$/.test(t) ? Number(t) : t;
  };
  const match = (left: Json, op: string, right: unknown) => out.push({ match: { op, left, right } });
  while (i < tokens.length) {
    const t = next();
    if (t === 'counter') out.push({ counter: { packets: 0, bytes: 0 } });
    else if (t === 'update') {
      // `update @SET { ip daddr . tcp dport }`: the packet's fields as the set's key.
      const set = value();
      const key = next();
      const fields = /^\{ (ip6?) daddr \. tcp dport \}$/.exec(key);
      if (typeof set !== 'string' || !set.startsWith('@') || !fields)
        throw new Error(`fake nft: unexpected update in: ${rule}`);
      const p = fields[1] as string;
      out.push({
        set: {
          op: 'update',
          elem: {
            concat: [{ payload: { protocol: p, field: 'daddr' } }, { payload: { protocol: 'tcp', field: 'dport' } }],
          },
          set,
        },
      });
    } else if (t === 'drop' || t === 'accept') out.push({ [t]: null });
    else if (t === 'arp') {
      const field = next();
      if (field === 'operation') match({ payload: { protocol: 'arp', field } }, '==', next());
      else if (field === 'daddr' || field === 'saddr') {
        expect('ip');
        match({ payload: { protocol: 'arp', field: `${field} ip` } }, '==', value());
      } else throw new Error(`fake nft: unexpected arp field ${field} in: ${rule}`);
    } else if (t === 'ip' || t === 'ip6') {
      const field = next();
      if (field !== 'saddr' && field !== 'daddr') throw new Error(`fake nft: unexpected ${t} field ${field}`);
      match({ payload: { protocol: t, field } }, '==', value());
    } else if (t === 'tcp') {
      const field = next();
      if (field === 'flags') {
        expect('&');
        const mask = next()
          .replace(/[()]/g, '')
          .split('|')
          .map((s) => s.trim());
        expect('==');
        const want = [next()];
        while (tokens[i] === '|') {
          i++;
          want.push(next());
        }
        match(
          { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, mask] },
          '==',
          want.length === 1 ? want[0] : want,
        );
      } else if (field === 'option') {
        expect('maxseg');
        expect('size');
        const op = next();
        if (op === 'set') out.push({ mangle: { key: MAXSEG, value: Number(next()) } });
        else if (op === '>') match(MAXSEG, '>', Number(next()));
        else throw new Error(`fake nft: unexpected maxseg operator ${op} in: ${rule}`);
      } else if (field === 'dport' || field === 'sport') match({ payload: { protocol: 'tcp', field } }, '==', value());
      else throw new Error(`fake nft: unexpected tcp field ${field} in: ${rule}`);
    } else throw new Error(`fake nft: unexpected token "${t}" in: ${rule}`);
  }
  return out;
}

function elementJson(e: string): unknown {
  const [addr, len] = e.split('/');
  return len === undefined ? addr : { prefix: { addr, len: Number(len) } };
}
