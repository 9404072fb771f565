import { describe, expect, it } from 'vitest';
import { parseUdpPorts, readUdpPorts } from '../../src/observe/udp-sockets.js';

// As Linux 6.1 prints them: a GUE listener on 6080 (a kernel socket), systemd-resolved's
// stub on 127.0.0.53:53, a connected client socket.
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  241: 00000000:17C0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 0
 1270: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   991        0 18722 2 0000000000000000 0
 8402: 0A00000A:D431 0101010A:0035 01 00000000:00000000 00:00000000 00000000  1000        0 91234 2 0000000000000000 0
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  241: 00000000000000000000000000000000:17C0 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 0
`;

describe('parseUdpPorts', () => {
  it('takes the local port of every socket, in hex, of either family', () => {
    expect([...parseUdpPorts(UDP)].sort((a, b) => a - b)).toEqual([53, 6080, 54321]);
    expect([...parseUdpPorts(UDP6)]).toEqual([6080]);
  });

  it('a table with no socket (the header alone) has no port', () => {
    expect(parseUdpPorts(UDP.split('\n')[0] + '\n').size).toBe(0);
  });
});

describe('readUdpPorts', () => {
  it('reads the real table of this network namespace', () => {
    expect(readUdpPorts(4)).toBeInstanceOf(Set);
  });

  it('a table that cannot be read (IPv6 disabled: no /proc/net/udp6) is null', () => {
    expect(readUdpPorts(6, '/nonexistent/udp6')).toBeNull();
  });
});
