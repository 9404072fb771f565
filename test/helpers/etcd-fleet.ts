import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, TestNamespace } from './netns.js';

let counter = 0;

// What `fleet status --json` prints, as far as the tests read it.
export interface FleetJson {
  revision: number;
  hosts: {
    host: string;
    state: string;
    revision: number | null;
    updatedAt: string;
    instance: string | null;
    errors: string[];
  }[];
}

// A throwaway network for a fleet test: a hub namespace holding a bridge, a store
// namespace holding the etcd members (one address each on a veth into the bridge),
// and one namespace per agent with eth0 on the bridge. Nothing leaves these namespaces:
// none of them has a route or a link to the machine's own.
export class FleetNetwork {
  readonly hub: string;
  readonly storeNs: string;
  readonly dir: string;
  readonly members: EtcdMember[] = [];
  readonly agents: TestNamespace[] = [];
  // name:password for etcdctl once the store has authentication enabled.
  user: string | null = null;
  pki: string | null = null;
  // More flags for every member, set before startAll.
  etcdArgs: string[] = [];
  private nextAgent = 10;

  private constructor(readonly id: string) {
    this.hub = `rsf-${id}-hub`;
    this.storeNs = `rsf-${id}-etcd`;
    this.dir = mkdtempSync(join(tmpdir(), `rsf-${id}-`));
  }

  // With `pki` (a directory made by makePki holding server.pem and root.pem), the members
  // serve https:// only and ask every client for a certificate signed by its CA (etcd's
  // --client-cert-auth: with authentication enabled, the certificate's CN is the user).
  static async create(memberCount: number, pki: string | null = null): Promise<FleetNetwork> {
    const net = new FleetNetwork(`${process.pid}${counter++}`);
    net.pki = pki;
    await execa('ip', ['netns', 'add', net.hub]);
    await execa('ip', ['netns', 'add', net.storeNs]);
    await execa('ip', ['-n', net.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    await execa('ip', ['-n', net.hub, 'link', 'set', 'br0', 'up']);
    await execa('ip', ['-n', net.storeNs, 'link', 'set', 'lo', 'up']);
    await net.plug(net.storeNs, 'etcd');
    for (let i = 1; i <= memberCount; i++) {
      await execa('ip', ['-n', net.storeNs, 'addr', 'add', `10.77.0.${i}/24`, 'dev', 'eth0']);
    }
    const cluster = Array.from({ length: memberCount }, (_, i) => `m${i + 1}=http://10.77.0.${i + 1}:2380`).join(',');
    for (let i = 1; i <= memberCount; i++) net.members.push(new EtcdMember(net, `m${i}`, `10.77.0.${i}`, cluster));
    return net;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  // An agent's config naming this network's store: plain http:// on the test bridge, so
  // insecure: true; a status every second; `store` adds lines under source.etcd.
  agentConfig(ns: TestNamespace, host: string, labels: Record<string, string>, store: string[] = []): string {
    return [
      'source:',
      '  etcd:',
      `    endpoints: [${this.endpoints.join(', ')}]`,
      '    insecure: true',
      `    cache: ${join(ns.dir, 'cache.json')}`,
      '    heartbeat: 1',
      '    status_ttl: 5',
      ...store.map((line) => `    ${line}`),
      `host: ${host}`,
      `labels: {${Object.entries(labels)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}}`,
      'interfaces: [eth0]',
      '',
    ].join('\n');
  }

  // A veth pair: eth0 in `ns`, its peer on the hub's bridge.
  private async plug(ns: string, tag: string): Promise<void> {
    const peer = `v${tag}`.slice(0, 15);
    await execa('ip', ['-n', this.hub, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await execa('ip', ['-n', this.hub, 'link', 'set', peer, 'master', 'br0', 'up']);
    await execa('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  // A real server's namespace: eth0 on the bridge, an address of its own.
  async addAgent(): Promise<TestNamespace> {
    const ns = await TestNamespace.create({ nic: false, tmpfs: true });
    const n = this.nextAgent++;
    await this.plug(ns.name, `a${n}`);
    await ns.ip(['addr', 'add', `10.77.0.${n}/24`, 'dev', 'eth0']);
    this.agents.push(ns);
    return ns;
  }

  // An agent's namespace with its config written: this host name and labels, the store
  // lines given added under source.etcd (agentConfig).
  async addConfiguredAgent(host: string, labels: Record<string, string>, store: string[] = []): Promise<TestNamespace> {
    const ns = await this.addAgent();
    ns.writeConfig(this.agentConfig(ns, host, labels, store));
    return ns;
  }

  // `rs-agent fleet status` as an operator runs it, from the store's namespace with an
  // agent's config: its exit status and output, the JSON parsed with --json (null else).
  async fleetStatus<T = FleetJson>(
    config: TestNamespace,
    args: string[] = ['--json'],
  ): Promise<{ exitCode: number; stdout: string; stderr: string; json: T | null }> {
    const argv = ['netns', 'exec', this.storeNs, process.execPath, CLI, 'fleet', 'status', ...args];
    const r = await execa('ip', [...argv, '--config', config.configPath], { reject: false });
    const json = args.includes('--json') && r.exitCode !== 2 ? (JSON.parse(r.stdout) as T) : null;
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json };
  }

  // Cuts one agent off the store (its bridge port down), or puts it back.
  async setAgentLink(index: number, up: boolean): Promise<void> {
    await execa('ip', ['-n', this.hub, 'link', 'set', `va${index + 10}`, up ? 'up' : 'down']);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m.start()));
    await this.waitHealthy();
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.members.filter((m) => m.running);
      const r = await this.etcdctl(
        ['endpoint', 'health'],
        running.map((m) => m.clientUrl),
        false,
      );
      if (r.exitCode === 0) return;
      if (Date.now() > deadline) throw new Error(`etcd not healthy: ${r.stderr}`);
      await sleep(100);
    }
  }

  async etcdctl(
    args: string[],
    endpoints = this.members.filter((m) => m.running).map((m) => m.clientUrl),
    reject = true,
    input: string | undefined = undefined, // etcdctl put reads the value here when none is given
  ) {
    return execa(
      'ip',
      [
        'netns',
        'exec',
        this.storeNs,
        'etcdctl',
        `--endpoints=${endpoints.join(',')}`,
        '--dial-timeout=2s',
        '--command-timeout=5s',
        ...(this.user ? [`--user=${this.user}`] : []),
        ...(this.pki
          ? [
              '--cacert',
              join(this.pki, 'ca.pem'),
              '--cert',
              join(this.pki, 'root.pem'),
              '--key',
              join(this.pki, 'root-key.pem'),
            ]
          : []),
        ...args,
      ],
      {
        reject,
        env: { ETCDCTL_API: '3' },
        ...(input === undefined ? {} : { input }),
      },
    );
  }

  // Retried: a proposal made while the members elect a new leader can time out (the
  // value is the same each time, so a put that did land twice changes nothing).
  async put(key: string, value: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.etcdctl(['put', key, value, '-w', 'json'], undefined, attempt === 5);
      if (r.exitCode === 0) return Number((JSON.parse(r.stdout) as { header: { revision: number } }).header.revision);
      await sleep(200);
    }
  }

  async del(key: string): Promise<void> {
    await this.etcdctl(['del', key]);
  }

  async revision(): Promise<number> {
    const r = await this.etcdctl(['get', '/', '-w', 'json', '--limit=1']);
    return Number((JSON.parse(r.stdout) as { header: { revision: number } }).header.revision);
  }

  async leader(): Promise<EtcdMember> {
    const r = await this.etcdctl(['endpoint', 'status', '-w', 'json']);
    const status = JSON.parse(r.stdout) as {
      Endpoint: string;
      Status: { header: { member_id: number }; leader: number };
    }[];
    const leader = status.find((s) => s.Status.header.member_id === s.Status.leader);
    const member = this.members.find((m) => m.clientUrl === leader?.Endpoint);
    if (!member) throw new Error(`no leader in ${r.stdout}`);
    return member;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    for (const ns of this.agents) {
      const pids = (await execa('ip', ['netns', 'pids', ns.name], { reject: false })).stdout
        .split('\n')
        .filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await ns.destroy();
    }
    await execa('ip', ['netns', 'del', this.storeNs], { reject: false });
    await execa('ip', ['netns', 'del', this.hub], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// One etcd member in the store namespace, its data in the fleet's temp dir.
export class EtcdMember {
  private child: ResultPromise | null = null;
  readonly clientUrl: string;
  readonly dataDir: string;
  private log = '';

  constructor(
    private readonly net: FleetNetwork,
    readonly name: string,
    readonly ip: string,
    private readonly cluster: string,
  ) {
    this.clientUrl = `${net.pki ? 'https' : 'http'}://${ip}:2379`;
    this.dataDir = join(net.dir, name);
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    this.child = execa(
      'ip',
      [
        'netns',
        'exec',
        this.net.storeNs,
        'etcd',
        '--name',
        this.name,
        '--data-dir',
        this.dataDir,
        '--listen-client-urls',
        this.clientUrl,
        '--advertise-client-urls',
        this.clientUrl,
        '--listen-peer-urls',
        `http://${this.ip}:2380`,
        '--initial-advertise-peer-urls',
        `http://${this.ip}:2380`,
        '--initial-cluster',
        this.cluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `rsf-${this.net.id}`,
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
        ...(this.net.pki ? this.tlsArgs(this.net.pki) : []),
        ...this.net.etcdArgs,
        '--logger',
        'zap',
        '--log-outputs',
        'stderr',
        '--log-level',
        'error',
      ],
      { reject: false, buffer: false },
    );
    this.child.stderr?.on('data', (c: Buffer) => (this.log = (this.log + c.toString()).slice(-4000)));
  }

  private tlsArgs(pki: string): string[] {
    return [
      '--cert-file',
      join(pki, 'server.pem'),
      '--key-file',
      join(pki, 'server-key.pem'),
      '--trusted-ca-file',
      join(pki, 'ca.pem'),
      '--client-cert-auth',
    ];
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.kill('SIGKILL');
    await child;
  }
}
