import { describe, expect, it } from 'vitest';
import { countConnections, readConnections } from '../../src/traffic/tcp-connections.js';

// Captured from /proc/net/tcp6 and /proc/net/tcp in a namespace holding 192.0.2.10 and
// 2001:db8::10 on lo, a dual-stack listener on port 8443 (0A), two IPv6 connections and
// one IPv4 one (::ffff:192.0.2.10) established (01); plus hand-written lines for the
// other states and another local address.
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:20FB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 688215 1 000000006227aade 100 0 0 10 0
   1: 0000000000000000FFFF00000A0200C0:20FB 0000000000000000FFFF00000200630A:B93A 01 00000000:00000000 00:00000000 00000000     0        0 687852 1 0000000073524570 20 0 0 10 -1
   2: B80D0120000000000000000010000000:20FB B80D0120000009000000000002000000:DF10 01 00000000:00000000 00:00000000 00000000     0        0 687850 1 0000000021af92b4 20 0 0 10 -1
   3: B80D0120000000000000000010000000:20FB B80D0120000009000000000002000000:DF0A 01 00000000:00000000 00:00000000 00000000     0        0 687848 1 00000000556b2444 20 0 0 10 -1
`;
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0A0200C0:01BB 0200630A:C001 08 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 30 10 -1
   1: 0A0200C0:01BB 0200630A:C002 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0
   2: 0A0200C0:01BB 0200630A:C003 05 00000000:00000000 00:00000000 00000000     0        0 0 3 0
   3: 0A0200C0:01BB 0200630A:C004 04 00000000:00000000 00:00000000 00000000     0        0 0 3 0
   4: 0B0200C0:01BB 0200630A:C005 01 00000000:00000000 00:00000000 00000000     0        0 0 3 0
`;

const VIPS = new Set(['192.0.2.10', '2001:db8::10']);

describe('countConnections', () => {
  it('counts established connections per VIP and port, IPv4 clients of a dual-stack listener included', () => {
    expect(Object.fromEntries(countConnections(TCP6, VIPS))).toEqual({
      '192.0.2.10 8443': 1,
      '2001:db8::10 8443': 2,
    });
  });

  it('counts the closing states that may still carry data (CLOSE_WAIT, FIN_WAIT1), not FIN_WAIT2 or TIME_WAIT, nor other addresses', () => {
    expect(Object.fromEntries(countConnections(TCP, VIPS))).toEqual({ '192.0.2.10 443': 2 });
  });

  it('reads both files through the reader it is given; a missing one (IPv6 off) counts nothing', () => {
    const files: Record<string, string> = { '/proc/net/tcp': TCP };
    const read = (path: string) => files[path] ?? null;
    expect(Object.fromEntries(readConnections(VIPS, read))).toEqual({ '192.0.2.10 443': 2 });
    expect(readConnections(new Set(), read).size).toBe(0);
  });
});
