import { describe, expect, it } from 'vitest';
import { isOwnTableEvent, nftRequest } from '../../src/daemon/triggers/nft-events.js';

// Lines as `nft monitor` (nftables 1.0.6) printed them in a namespace while the tables were
// loaded, flushed and deleted.
describe('nft monitor lines', () => {
  it.each([
    'delete table inet rs_agent',
    'delete rule inet rs_agent output handle 3',
    'delete rule arp rs_agent input handle 4',
    'add table arp rs_agent',
    'add chain inet rs_agent output { type filter hook output priority mangle; policy accept; }',
    'delete set arp rs_agent vips4',
  ])("rs-agent's: %s", (line) => {
    expect(isOwnTableEvent(line)).toBe(true);
  });

  it.each([
    'delete table inet filter',
    'add rule ip rs_agent output counter',
    'delete table inet rs_agent2',
    'add table inet my_rs_agent',
    '# new generation 12 by process 4242 (nft)',
    '# ERROR: We lost some netlink events!',
  ])("not rs-agent's: %s", (line) => {
    expect(isOwnTableEvent(line)).toBe(false);
  });

  it('an event on the ARP guard asks for an urgent pass (protection), one on the MSS clamp for an ordinary one', () => {
    expect(nftRequest(['delete rule arp rs_agent input handle 4'])).toEqual({ urgent: true });
    expect(nftRequest(['delete table inet rs_agent'])).toEqual({ urgent: false });
    expect(nftRequest(['delete table inet rs_agent', 'delete set arp rs_agent vips4'])).toEqual({ urgent: true });
    expect(nftRequest(['delete table inet filter', ''])).toBeNull();
  });
});
