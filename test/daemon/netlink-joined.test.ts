import { describe, expect, it } from 'vitest';
import { joinedIn } from '../../src/daemon/netlink-joined.js';

// /proc/PID/net/netlink as it read in a namespace where `nft monitor` (nftables 1.0.6) ran:
// its socket, inode 5520786, had joined groups 7 and 9 (0x140); the kernel's own sockets none.
const TABLE = [
  'sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode',
  '00000000349a3ab1 0   0          00000000 0        0        0     2        0        5520761 ',
  '00000000b5051fe0 12  0          00000000 0        0        0     2        0        5520768 ',
  '00000000b1c0ff1e 12  5954       00000140 0        0        0     2        0        5520786 ',
  '',
].join('\n');
// The same socket before nft monitor had read the ruleset and joined.
const BEFORE = TABLE.replace('00000140', '00000000');

describe('whether a monitor child has joined the kernel events', () => {
  it('joined: one of its sockets has a group', () => {
    expect(joinedIn(TABLE, new Set(['5520786']))).toBe(true);
    expect(joinedIn(TABLE, new Set(['1', '5520786']))).toBe(true);
  });

  it('not joined: its socket has no group yet, or the socket with groups is not its own', () => {
    expect(joinedIn(BEFORE, new Set(['5520786']))).toBe(false);
    expect(joinedIn(TABLE, new Set(['5520768', '5520761']))).toBe(false);
    expect(joinedIn('', new Set(['5520786']))).toBe(false);
    expect(joinedIn(TABLE.replace('00000140', 'zz'), new Set(['5520786']))).toBe(false);
  });
});
