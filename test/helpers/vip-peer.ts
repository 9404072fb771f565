import { execa, type ResultPromise } from 'execa';
import { TestNamespace } from './netns.js';

// A real server's namespace and a client's beside it, joined by the veth pair: the
// server's eth0 is 10.98.0.1, the client's 10.98.0.2, and the client routes the VIP to
// the server, as a DR director would deliver it. A TCP service on the VIP's port in the
// server's namespace (each connection held until the client closes it), and clients that
// hold connections open or keep making new ones: the traffic `drain` waits on.

export const SERVER_IP = '10.98.0.1';
export const CLIENT_IP = '10.98.0.2';

// Accepts on [::]:PORT (IPv4 too) and keeps each connection until the client closes it.
const SERVICE = `
import socket, sys, threading
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', int(sys.argv[1])))
s.listen(128)
print('listening', flush=True)
def hold(c):
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
`;

// Opens N connections, says so, holds them until its stdin closes (or it is killed).
const HOLDER = `
import socket, sys
cs = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) for _ in range(int(sys.argv[3]))]
print('open', flush=True)
sys.stdin.read()
`;

// A new connection every INTERVAL seconds, closed at once, for SECONDS seconds.
const STREAM = `
import socket, sys, time
end = time.time() + float(sys.argv[4])
while time.time() < end:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
    except OSError:
        pass
    time.sleep(float(sys.argv[3]))
`;

export class VipPeer {
  private readonly procs: ResultPromise[] = [];

  private constructor(
    readonly ns: TestNamespace,
    readonly client: string,
  ) {}

  static async create(vips: readonly string[], options: { tmpfs?: boolean } = {}): Promise<VipPeer> {
    const ns = await TestNamespace.create(options);
    const client = `${ns.name}-client`;
    await execa('ip', ['netns', 'add', client]);
    await ns.ip(['link', 'set', 'eth0-peer', 'netns', client]);
    const inClient = (args: string[]) => execa('ip', ['-n', client, ...args]);
    await inClient(['link', 'set', 'lo', 'up']);
    await inClient(['link', 'set', 'eth0-peer', 'up']);
    await inClient(['addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0-peer']);
    for (const vip of vips) await inClient(['route', 'add', `${vip}/32`, 'via', SERVER_IP]);
    await ns.ip(['addr', 'add', `${SERVER_IP}/24`, 'dev', 'eth0']);
    return new VipPeer(ns, client);
  }

  // The TCP service on PORT in the server's namespace.
  async serve(port: number): Promise<void> {
    const p = execa('ip', ['netns', 'exec', this.ns.name, 'python3', '-c', SERVICE, String(port)], {
      reject: false,
      buffer: false,
    });
    this.procs.push(p);
    await new Promise<void>((resolve) => p.stdout?.once('data', () => resolve()));
  }

  // N connections to VIP:PORT from the client, held until close() is called.
  async hold(vip: string, port: number, n: number): Promise<{ close(): Promise<void> }> {
    const p = execa('ip', ['netns', 'exec', this.client, 'python3', '-c', HOLDER, vip, String(port), String(n)], {
      reject: false,
      buffer: false,
      stdin: 'pipe',
    });
    this.procs.push(p);
    await new Promise<void>((resolve, reject) => {
      p.stdout?.once('data', () => resolve());
      void p.then((r) => reject(new Error(`holder exited: ${String(r.stderr ?? '')}`)));
    });
    return {
      close: async () => {
        p.stdin?.end();
        await p;
      },
    };
  }

  // New connections to VIP:PORT every intervalS seconds for seconds seconds (runs on its own).
  stream(vip: string, port: number, intervalS: number, seconds: number): ResultPromise {
    const p = execa(
      'ip',
      ['netns', 'exec', this.client, 'python3', '-c', STREAM, vip, String(port), String(intervalS), String(seconds)],
      { reject: false },
    );
    this.procs.push(p);
    return p;
  }

  // A command in the client's namespace.
  async inClient(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const r = await execa('ip', ['netns', 'exec', this.client, ...argv], { reject: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async destroy(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(this.procs);
    for (const name of [this.ns.name, this.client]) {
      const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await execa('ip', ['netns', 'del', this.client], { reject: false });
    await this.ns.destroy();
  }
}
