import { describe, expect, it } from 'vitest';
import { parseGuard } from '../../../src/objects/nft/arp-guard.js';

// The set's elements, and whether the table is exactly as rs-agent loads it.
const parseNftTable = (json: string) => {
  const t = parseGuard(json);
  return { elements: t.holds, intact: t.state === 'intact' };
};

// Captured from `nft -j list table arp rs_agent` (nftables 1.0.6) after loading renderGuard().
const LOADED =
  '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "arp", "name": "rs_agent", "handle": 2}}, {"set": {"family": "arp", "name": "vips4", "table": "rs_agent", "type": "ipv4_addr", "handle": 3, "flags": ["interval"], "elem": [{"prefix": {"addr": "10.0.0.0", "len": 24}}, "192.0.2.10"]}}, {"chain": {"family": "arp", "table": "rs_agent", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}, {"chain": {"family": "arp", "table": "rs_agent", "name": "output", "handle": 2, "type": "filter", "hook": "output", "prio": 0, "policy": "accept"}}, {"rule": {"family": "arp", "table": "rs_agent", "chain": "input", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "arp", "field": "operation"}}, "right": "request"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "arp", "field": "daddr ip"}}, "right": "@vips4"}}, {"counter": {"packets": 7, "bytes": 196}}, {"drop": null}]}}, {"rule": {"family": "arp", "table": "rs_agent", "chain": "output", "handle": 5, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "arp", "field": "saddr ip"}}, "right": "@vips4"}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}]}';

describe('parseNftTable', () => {
  it('reads the set elements (prefixes as networks) and finds the table intact, whatever the counters say', () => {
    expect(parseNftTable(LOADED)).toEqual({ elements: ['10.0.0.0/24', '192.0.2.10'], intact: true });
  });

  it('a flushed table (chains without rules), a changed rule or an extra rule is not intact', () => {
    const doc = JSON.parse(LOADED) as { nftables: Record<string, any>[] };
    const without = (pred: (i: Record<string, any>) => boolean) =>
      JSON.stringify({ nftables: doc.nftables.filter((i) => !pred(i)) });
    expect(parseNftTable(without((i) => 'rule' in i)).intact).toBe(false);
    const accept = structuredClone(doc);
    const rule = accept.nftables.find((i) => i.rule?.chain === 'input');
    rule!.rule.expr[3] = { accept: null };
    expect(parseNftTable(JSON.stringify(accept)).intact).toBe(false);
    const extra = structuredClone(doc);
    extra.nftables.push({
      rule: { family: 'arp', table: 'rs_agent', chain: 'output', handle: 9, expr: [{ accept: null }] },
    });
    expect(parseNftTable(JSON.stringify(extra)).intact).toBe(false);
  });

  it('an empty set has no elements', () => {
    expect(parseNftTable(LOADED.replace(/, "elem": \[[^\]]*\]/, '')).elements).toEqual([]);
  });
});

describe('parseGuard counts', () => {
  it('reads what each chain has dropped from its rule counter', () => {
    expect(parseGuard(LOADED).counts).toEqual({ input: 7, output: 0 });
  });
});
