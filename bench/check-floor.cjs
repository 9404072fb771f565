'use strict';
// The floor under a converged `check` (cli.mjs, the "check floor" operation): node
// starting, running the commands the check reads the host with, side by side, and
// reading their output, with nothing of rs-agent loaded. The argv and input are those of
// src/observe/observe.ts (OBSERVE_ARGV, OBSERVE_INPUT) and of the two nft tables a 1-VIP
// DR config reads (the ARP guard's, the traffic counters'); the sysctl files it reads
// cost no process. A check can come no nearer to `node -e 0` than this.
const { spawn } = require('node:child_process');

const COMMANDS = [
  [['ip', '-json', '-batch', '-'], 'addr show\nroute show table main\n'],
  [['nft', '-j', 'list', 'table', 'arp', 'rs_agent'], null],
  [['nft', '-j', 'list', 'table', 'inet', 'rs_agent_traffic'], null],
];

const run = ([file, ...args], input) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${file} exited ${code}`)),
    );
    if (input !== null) child.stdin.end(input);
  });

Promise.all(COMMANDS.map(([argv, input]) => run(argv, input))).then(
  (outputs) => outputs.forEach((o) => JSON.parse(o.toString().split('\n')[0])),
  (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  },
);
