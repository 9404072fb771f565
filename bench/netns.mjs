// Throwaway network namespaces for the benchmark: lo up and a veth pair (eth0 and its
// peer, both inside), like a real server's NIC. Nothing here touches the machine's own
// namespace, and nothing is ever sent: addresses only go on lo inside the namespace.
import { execFileSync, spawnSync } from 'node:child_process';

const alive = new Set();
let counter = 0;

export function createNamespace() {
  const name = `rsa-bench-${process.pid}-${counter++}`;
  execFileSync('ip', ['netns', 'add', name]);
  alive.add(name);
  const ip = (...args) => execFileSync('ip', ['-n', name, ...args]);
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer');
  ip('link', 'set', 'eth0', 'up');
  ip('link', 'set', 'eth0-peer', 'up');
  return name;
}

export function deleteNamespace(name) {
  spawnSync('ip', ['netns', 'del', name]);
  alive.delete(name);
}

// IPv4 addresses on lo and main-table routes, to check that a run did its job.
export function countVips(name) {
  const addresses = execFileSync('ip', ['-n', name, '-4', '-o', 'addr', 'show', 'dev', 'lo'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const routes = execFileSync('ip', ['-n', name, '-4', 'route', 'show', 'table', 'main', 'dev', 'lo'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const lines = (text) => text.split('\n').filter(Boolean).length;
  return { addresses: lines(addresses) - 1, routes: lines(routes) }; // less 127.0.0.1
}

// Deletes every namespace this process made, also on Ctrl-C.
export function cleanUpOnExit() {
  const cleanUp = () => {
    for (const name of alive) deleteNamespace(name);
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
}
