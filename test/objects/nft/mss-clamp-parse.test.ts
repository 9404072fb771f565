import { describe, expect, it } from 'vitest';
import { parseMssTable } from '../../../src/objects/nft/mss-clamp.js';

// Captured (nftables 1.0.6, kernel 6.18) in a namespace: `nft -j list table inet rs_agent`
// after `nft -f` of what rs-agent renders for 192.0.2.100 and .101 at 1440, 198.51.100.7
// at 1428 and 2001:db8::7 at 1400; then after `nft flush table inet rs_agent`.
const LOADED =
  '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "rs_agent", "handle": 2}}, {"chain": {"family": "inet", "table": "rs_agent", "name": "output", "handle": 1, "type": "filter", "hook": "output", "prio": -150, "policy": "accept"}}, {"rule": {"family": "inet", "table": "rs_agent", "chain": "output", "handle": 3, "expr": [{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": ["syn", "ack"]}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"set": ["192.0.2.100", "192.0.2.101"]}}}, {"match": {"op": ">", "left": {"tcp option": {"name": "maxseg", "field": "size"}}, "right": 1440}}, {"mangle": {"key": {"tcp option": {"name": "maxseg", "field": "size"}}, "value": 1440}}, {"counter": {"packets": 0, "bytes": 0}}]}}, {"rule": {"family": "inet", "table": "rs_agent", "chain": "output", "handle": 4, "expr": [{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": ["syn", "ack"]}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "198.51.100.7"}}, {"match": {"op": ">", "left": {"tcp option": {"name": "maxseg", "field": "size"}}, "right": 1428}}, {"mangle": {"key": {"tcp option": {"name": "maxseg", "field": "size"}}, "value": 1428}}, {"counter": {"packets": 0, "bytes": 0}}]}}, {"rule": {"family": "inet", "table": "rs_agent", "chain": "output", "handle": 5, "expr": [{"match": {"op": "==", "left": {"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, ["syn", "ack"]]}, "right": ["syn", "ack"]}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": "2001:db8::7"}}, {"match": {"op": ">", "left": {"tcp option": {"name": "maxseg", "field": "size"}}, "right": 1400}}, {"mangle": {"key": {"tcp option": {"name": "maxseg", "field": "size"}}, "value": 1400}}, {"counter": {"packets": 0, "bytes": 0}}]}}]}';
const FLUSHED =
  '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "rs_agent", "handle": 2}}, {"chain": {"family": "inet", "table": "rs_agent", "name": "output", "handle": 1, "type": "filter", "hook": "output", "prio": -150, "policy": "accept"}}]}';

type Json = { nftables: Record<string, any>[] };
const edit = (change: (json: Json) => void): string => {
  const json = JSON.parse(LOADED) as Json;
  change(json);
  return JSON.stringify(json);
};
const rules = (json: Json) => json.nftables.filter((i) => i.rule).map((i) => i.rule);

describe('nft -j list table inet rs_agent', () => {
  it('reads the clamps of an intact table, sets and single addresses alike', () => {
    expect(parseMssTable(LOADED)).toEqual({
      state: 'intact',
      holds: ['192.0.2.100 1440', '192.0.2.101 1440', '198.51.100.7 1428', '2001:db8::7 1400'],
    });
  });

  it('counters that have counted change nothing', () => {
    expect(
      parseMssTable(
        edit((j) => {
          rules(j)[0].expr[4] = { counter: { packets: 12, bytes: 720 } };
        }),
      ).state,
    ).toBe('intact');
  });

  it('a flushed table is flushed', () => {
    expect(parseMssTable(FLUSHED)).toEqual({ state: 'flushed', holds: [] });
  });

  it.each([
    [
      'a rule that sets another value than it compares',
      (j: Json) => {
        rules(j)[0].expr[3].mangle.value = 1500;
      },
    ],
    [
      'a rule without its SYN-ACK match',
      (j: Json) => {
        rules(j)[1].expr.shift();
      },
    ],
    [
      'a rule of someone else',
      (j: Json) => {
        j.nftables.push({ rule: { ...rules(j)[0], handle: 9, expr: [{ accept: null }] } });
      },
    ],
    [
      'the chain at another priority',
      (j: Json) => {
        j.nftables.find((i) => i.chain)!.chain.prio = 0;
      },
    ],
    [
      'the chain gone',
      (j: Json) => {
        j.nftables = j.nftables.filter((i) => !i.chain && !i.rule);
      },
    ],
    [
      'a second chain',
      (j: Json) => {
        j.nftables.push({
          chain: {
            family: 'inet',
            table: 'rs_agent',
            name: 'input',
            handle: 9,
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'accept',
          },
        });
      },
    ],
    [
      'a set added',
      (j: Json) => {
        j.nftables.push({ set: { family: 'inet', name: 'x', table: 'rs_agent', type: 'ipv4_addr', handle: 9 } });
      },
    ],
    [
      'one address in two rules',
      (j: Json) => {
        rules(j)[1].expr[1].match.right = '192.0.2.100';
      },
    ],
    [
      'a source matched on the destination',
      (j: Json) => {
        rules(j)[1].expr[1].match.left.payload.field = 'daddr';
      },
    ],
  ])('altered: %s', (_name, change) => {
    expect(parseMssTable(edit(change))).toEqual({ state: 'altered', holds: [] });
  });
});
