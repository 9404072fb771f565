// What `nft -j list table …` prints, as the parsers of rs-agent's tables read it. nft JSON is
// loosely typed; every field read is checked.
export type Json = Record<string, any>;

export interface NftItems {
  all: Json[]; // every item (table, set, chain, rule, metainfo)
  sets: Json[];
  chains: Json[];
  rules: Json[];
}

export function nftItems(text: string): NftItems {
  const all = ((JSON.parse(text) as Json).nftables ?? []) as Json[];
  const of = (kind: string) => all.filter((i) => i[kind]).map((i) => i[kind] as Json);
  return { all, sets: of('set'), chains: of('chain'), rules: of('rule') };
}

// A base chain as rs-agent loads it: a filter chain on `hook` (named after it), policy accept,
// at priority `prio` where one is given.
export function isOwnBaseChain(chain: Json | undefined, hook: string, prio?: number): boolean {
  return (
    chain !== undefined &&
    chain.name === hook &&
    chain.hook === hook &&
    chain.type === 'filter' &&
    chain.policy === 'accept' &&
    (prio === undefined || chain.prio === prio)
  );
}
