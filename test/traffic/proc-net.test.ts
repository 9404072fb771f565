import { describe, expect, it } from 'vitest';
import { parseNetDev, parseNetstat } from '../../src/traffic/proc-net.js';

const DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
 tunl0: 2725996   40080    3    7    0     0          0         0  2065096   30066    0    0    0     0       0          0
`;

// The two TcpExt lines of /proc/net/netstat, cut short, and an IpExt pair after them.
const NETSTAT = `TcpExt: SyncookiesSent SyncookiesRecv IPReversePathFilter TCPTimeouts
TcpExt: 0 0 42 9
IpExt: InNoRoutes InTruncatedPkts
IpExt: 0 0
`;

describe('/proc/net parsers', () => {
  it('reads each device: received packets, errors, drops', () => {
    expect(parseNetDev(DEV).get('tunl0')).toEqual({ packets: 40080, errors: 3, dropped: 7 });
    expect([...parseNetDev(DEV).keys()]).toEqual(['lo', 'tunl0']);
  });

  it('reads one counter of one group; null where the kernel has none', () => {
    expect(parseNetstat(NETSTAT, 'TcpExt', 'IPReversePathFilter')).toBe(42);
    expect(parseNetstat(NETSTAT, 'IpExt', 'IPReversePathFilter')).toBeNull();
    expect(parseNetstat('', 'TcpExt', 'IPReversePathFilter')).toBeNull();
  });
});
