// A TCP relay that a test can break on purpose, run inside a test namespace:
//   node tcp-cutter.mjs LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT
// Commands, one per line on stdin:
//   drop         close every connection now, and close each new one at once
//   cut-after N  pass again, but close the first connection (new from now on) through
//                which N bytes go from the target to the client; then pass
//   pass         relay as usual
// It prints "ready" once listening and "cut BYTES" when it closes a connection mid-way.
import net from 'node:net';
import readline from 'node:readline';

const [host, port, targetHost, targetPort] = process.argv.slice(2);
const open = new Set();
let mode = 'pass';
let cutAfter = 0;

const server = net.createServer((client) => {
  if (mode === 'drop') return client.destroy();
  const limited = mode === 'cut-after';
  const target = net.connect(Number(targetPort), targetHost);
  const pair = { client, target };
  open.add(pair);
  let down = 0;
  const close = () => {
    client.destroy();
    target.destroy();
    open.delete(pair);
  };
  client.on('data', (chunk) => target.write(chunk));
  target.on('data', (chunk) => {
    if (limited && mode === 'cut-after' && down + chunk.length > cutAfter) {
      mode = 'pass';
      client.write(chunk.subarray(0, cutAfter - down));
      process.stdout.write(`cut ${cutAfter}\n`);
      return close();
    }
    down += chunk.length;
    client.write(chunk);
  });
  client.on('error', close).on('close', close);
  target.on('error', close).on('close', close);
});
server.listen(Number(port), host, () => process.stdout.write('ready\n'));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, n] = line.trim().split(' ');
  if (command === 'drop') {
    mode = 'drop';
    for (const { client, target } of open) (client.destroy(), target.destroy());
    open.clear();
  } else if (command === 'cut-after') {
    mode = 'cut-after';
    cutAfter = Number(n);
  } else mode = 'pass';
  process.stdout.write(`mode ${mode}\n`);
});
