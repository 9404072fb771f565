import { describe, expect, it } from 'vitest';
import { parseTrafficTable } from '../../../src/objects/nft/traffic.js';

// Captured from `nft -j list table inet rs_agent_traffic` (nftables 1.0.6, kernel 6.18) after
// loading TRAFFIC_TABLE for 192.0.2.10 and 2001:db8::10 and connecting to port 8443 of each.
const LOADED =
  '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "rs_agent_traffic", "handle": 4}}, {"set": {"family": "inet", "name": "vips4", "table": "rs_agent_traffic", "type": "ipv4_addr", "handle": 2, "elem": ["192.0.2.10"]}}, {"set": {"family": "inet", "name": "vips6", "table": "rs_agent_traffic", "type": "ipv6_addr", "handle": 3, "elem": ["2001:db8::10"]}}, {"set": {"family": "inet", "name": "new4", "table": "rs_agent_traffic", "type": ["ipv4_addr", "inet_service"], "handle": 4, "size": 4096, "elem": [{"elem": {"val": {"concat": ["192.0.2.10", 8443]}, "counter": {"packets": 2, "bytes": 120}}}], "stmt": [{"counter": null}]}}, {"set": {"family": "inet", "name": "new6", "table": "rs_agent_traffic", "type": ["ipv6_addr", "inet_service"], "handle": 5, "size": 4096, "elem": [{"elem": {"val": {"concat": ["2001:db8::10", 8443]}, "counter": {"packets": 4, "bytes": 320}}}], "stmt": [{"counter": null}]}}, {"chain": {"family": "inet", "table": "rs_agent_traffic", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": -150, "policy": "accept"}}, {"rule": {"family": "inet", "table": "rs_agent_traffic", "chain": "input", "handle": 6, "expr": [{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": "syn"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@vips4"}}, {"set": {"op": "update", "elem": {"concat": [{"payload": {"protocol": "ip", "field": "daddr"}}, {"payload": {"protocol": "tcp", "field": "dport"}}]}, "set": "@new4"}}]}}, {"rule": {"family": "inet", "table": "rs_agent_traffic", "chain": "input", "handle": 7, "expr": [{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": "syn"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "daddr"}}, "right": "@vips6"}}, {"set": {"op": "update", "elem": {"concat": [{"payload": {"protocol": "ip6", "field": "daddr"}}, {"payload": {"protocol": "tcp", "field": "dport"}}]}, "set": "@new6"}}]}}]}';

type Doc = { nftables: Record<string, any>[] };
const doc = () => JSON.parse(LOADED) as Doc;

describe('parseTrafficTable', () => {
  it('reads the VIPs it counts, the SYNs per VIP and port, and finds it intact', () => {
    expect(parseTrafficTable(LOADED)).toEqual({
      state: 'intact',
      holds: ['192.0.2.10', '2001:db8::10'],
      counts: { '192.0.2.10 8443': 2, '2001:db8::10 8443': 4 },
    });
  });

  it('counters that moved leave it intact; nothing counted yet reads as no counts', () => {
    const none = doc();
    for (const i of none.nftables) if (i.set?.name?.startsWith('new')) delete i.set.elem;
    expect(parseTrafficTable(JSON.stringify(none))).toMatchObject({ state: 'intact', counts: {} });
  });

  it('without its rules it is flushed; a rule changed, a rule added, another priority or a set missing is altered', () => {
    const flushed = doc();
    flushed.nftables = flushed.nftables.filter((i) => !i.rule);
    expect(parseTrafficTable(JSON.stringify(flushed)).state).toBe('flushed');

    const changed = doc();
    changed.nftables.find((i) => i.rule)!.rule.expr[1].match.right = '@vips6';
    expect(parseTrafficTable(JSON.stringify(changed)).state).toBe('altered');

    const added = doc();
    added.nftables.push({
      rule: { family: 'inet', table: 'rs_agent_traffic', chain: 'input', expr: [{ drop: null }] },
    });
    expect(parseTrafficTable(JSON.stringify(added)).state).toBe('altered');

    const prio = doc();
    prio.nftables.find((i) => i.chain)!.chain.prio = 0;
    expect(parseTrafficTable(JSON.stringify(prio)).state).toBe('altered');

    const noSet = doc();
    noSet.nftables = noSet.nftables.filter((i) => i.set?.name !== 'new6');
    expect(parseTrafficTable(JSON.stringify(noSet)).state).toBe('altered');
  });
});
