import { readFileSync } from 'node:fs';
import { AgentError, CommandNotFoundError } from '../../src/errors.js';
import type { CommandResult, RunOptions, Runner } from '../../src/system/runner.js';
import type { SysctlFs } from '../../src/system/sysctl-fs.js';
import { FakeNft } from './fake-nft.js';

// A strict, in-memory model of the kernel objects rs-agent touches. It understands
// exactly the commands rs-agent is meant to run and throws on anything else, so a
// test fails the moment the code runs a command nobody expected. Real-kernel tests
// in network namespaces keep it honest.

interface FakeAddress {
  local: string;
  prefixlen: number;
  family: 'inet' | 'inet6';
  label?: string;
  // IPv6 flags as ip prints them; absent: not set (a VIP someone added by hand).
  nodad?: boolean;
  deprecated?: boolean; // preferred_lft 0
  noprefixroute?: boolean;
}

const FOREVER = 4294967295;
const VIP6_FLAGS = { nodad: true, deprecated: true, noprefixroute: true } as const;

interface FakeLink {
  name: string;
  up: boolean;
  linkType: string;
  addresses: FakeAddress[];
  mtu?: number; // printed only when a test sets it
}

interface FakeRoute {
  dst: string;
  prefixlen: number;
  dev: string;
}

const CONF_KEYS = ['arp_ignore', 'arp_announce', 'rp_filter'];

export class FakeKernel implements Runner, SysctlFs {
  readonly links = new Map<string, FakeLink>();
  routes: FakeRoute[] = [];
  readonly sysctls = new Map<string, string>();
  readonly commands: string[] = []; // every command run, as text
  readonly availableModules = new Set<string>();
  readOnlySysctls = false;
  // Lines of `ip -batch` input that fail with the given message (fault injection).
  readonly failingLines = new Map<string, string>();
  // nftables: not installed unless a test says so (then nf_tables works, as in a netns).
  nftInstalled = false;
  // Every nftables table, as the files rs-agent loads built them (see fake-nft.ts).
  readonly nft = new FakeNft();
  // fou listeners ("port 6080 gue", "port 7000 ipproto 4", "... -6"), as ip fou show
  // prints them; null: the fou module is not loaded. UDP ports bound by other sockets.
  fou: string[] | null = null;
  readonly udpPorts = new Set<number>();
  // Called after every change the fake makes to its state (a sysctl written, one batch
  // line, a table loaded, a module): a test can check an invariant at each step of a pass.
  onStep?: (step: string) => void;

  constructor() {
    for (const dev of ['all', 'default']) this.addConf(dev);
    this.addLink('lo', 'loopback', true);
    this.links.get('lo')?.addresses.push({ local: '127.0.0.1', prefixlen: 8, family: 'inet', label: 'lo' });
  }

  addLink(name: string, linkType = 'ether', up = true): this {
    this.links.set(name, { name, up, linkType, addresses: [] });
    this.addConf(name, 'default');
    return this;
  }

  private addConf(dev: string, copyFrom?: string): void {
    for (const key of CONF_KEYS) {
      const value = copyFrom ? this.sysctls.get(`net/ipv4/conf/${copyFrom}/${key}`) : undefined;
      this.sysctls.set(`net/ipv4/conf/${dev}/${key}`, value ?? '0');
    }
  }

  // The rendered state, for comparing whole hosts in tests.
  render(): { addresses: string[]; routes: string[]; up: string[]; sysctls: Record<string, string> } {
    const addresses = [...this.links.values()].flatMap((l) =>
      l.addresses.map(
        (a) => `${a.local}/${a.prefixlen} dev ${l.name}${a.label && a.label !== l.name ? ` label ${a.label}` : ''}`,
      ),
    );
    return {
      addresses: addresses.sort(),
      routes: this.routes.map((r) => `${r.dst}/${r.prefixlen} dev ${r.dev}`).sort(),
      up: [...this.links.values()]
        .filter((l) => l.up)
        .map((l) => l.name)
        .sort(),
      sysctls: Object.fromEntries([...this.sysctls.entries()].sort()),
    };
  }

  mutatingCommands(): string[] {
    return this.commands.filter((c) => !c.startsWith('ip -json ') && !c.startsWith('nft -j '));
  }

  // --- SysctlFs
  read(path: string): string | null {
    return this.sysctls.get(path) ?? null;
  }

  write(path: string, value: string): void {
    this.commands.push(`write ${path} ${value}`);
    if (this.readOnlySysctls) throw new AgentError(`cannot write ${value} to /proc/sys/${path}: read-only file system`);
    if (!this.sysctls.has(path)) throw new AgentError(`cannot write ${value} to /proc/sys/${path}: ENOENT`);
    this.sysctls.set(path, value);
    this.onStep?.(`write ${path} ${value}`);
  }

  // --- Runner
  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const text = argv.join(' ');
    // The batch is read from the stdin file when the command runs, as ip does.
    const batchFile =
      text === 'ip -force -batch -' && options.stdinFile !== undefined
        ? readFileSync(options.stdinFile, 'utf8')
        : undefined;
    const input = options.input ?? batchFile;
    this.commands.push(input ? `${text} <<< ${input.trim().split('\n').join(' | ')}` : text);
    if (text === 'ip -json -batch -' && options.input === 'addr show\nroute show table main\n') {
      return ok(`${JSON.stringify(this.addrShow())}\n${JSON.stringify(this.routeShow())}\n`);
    }
    if (text === 'ip -json -6 route show table main' && options.input === undefined)
      return ok(`${JSON.stringify(this.routeShow6())}\n`);
    if (text === 'ip -json fou show' && options.input === undefined) return this.fouShow();
    if (batchFile !== undefined) return this.batch(batchFile, '-');
    if (argv[0] === 'modprobe' && argv.length === 2) return this.modprobe(argv[1] as string);
    if (argv[0] === 'nft') return this.runNft(argv, options);
    throw new Error(
      `fake kernel: unexpected command: ${text}${options.input ? ` with input ${JSON.stringify(options.input)}` : ''}`,
    );
  }

  // Exactly the two nft commands rs-agent runs: list one of its tables as JSON, and load
  // a file that replaces (or deletes) a table in one transaction.
  private runNft(argv: readonly string[], options: RunOptions): CommandResult {
    const text = argv.join(' ');
    if (!this.nftInstalled) throw new CommandNotFoundError('nft: command not found in PATH');
    const list = /^nft -j list table (\w+) (\w+)$/.exec(text);
    if (list) {
      const json = this.nft.list(`${list[1]} ${list[2]}`);
      if (json === null)
        return {
          exitCode: 1,
          stdout: '',
          stderr: `Error: No such file or directory\nlist table ${list[1]} ${list[2]}\n`,
        };
      return ok(`${JSON.stringify(json)}\n`);
    }
    if (text === 'nft -f -' && options.stdinFile !== undefined) {
      const file = readFileSync(options.stdinFile, 'utf8');
      this.commands[this.commands.length - 1] = `nft -f <<< ${file
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .join(' | ')}`;
      try {
        this.nft.load(file);
        this.onStep?.('nft -f');
      } catch (error) {
        const message = (error as Error).message;
        if (message.startsWith('fake nft:')) throw error;
        return { exitCode: 1, stdout: '', stderr: `${message}\n` };
      }
      return ok('');
    }
    throw new Error(`fake kernel: unexpected command: ${text}`);
  }

  private modprobe(name: string): CommandResult {
    if (!this.availableModules.has(name)) {
      return {
        exitCode: 1,
        stdout: '',
        stderr: `modprobe: FATAL: Module ${name} not found in directory /lib/modules/fake\n`,
      };
    }
    if (name === 'ipip' && !this.links.has('tunl0')) this.addLink('tunl0', 'ipip', false);
    if (name === 'ip6_tunnel' && !this.links.has('ip6tnl0')) this.addLink('ip6tnl0', 'tunnel6', false);
    if (name === 'ip_gre' && !this.links.has('gre0')) {
      this.addLink('gre0', 'gre', false).addLink('gretap0', 'ether', false).addLink('erspan0', 'ether', false);
    }
    if (name === 'ip6_gre' && !this.links.has('ip6gre0')) this.addLink('ip6gre0', 'gre6', false);
    if (name === 'fou') this.fou ??= [];
    return ok('');
  }

  // As ip does: each failed line's message, then "Command failed FILE:N".
  private batch(input: string, file: string): CommandResult {
    const errors: string[] = [];
    // Indexed for the length of the batch, so 10000-line batches take linear time;
    // tests may edit the plain lists between commands.
    this.index = new BatchIndex(this.links, this.routes);
    input
      .split('\n')
      .filter(Boolean)
      .forEach((line, i) => {
        const failure = this.failingLines.get(line) ?? this.batchLine(line);
        if (failure) errors.push(`${failure}\nCommand failed ${file}:${i + 1}`);
        else if (this.onStep) {
          this.index.flush();
          this.index = new BatchIndex(this.links, this.routes);
          this.onStep(line);
        }
      });
    this.index.flush();
    return { exitCode: errors.length ? 1 : 0, stdout: '', stderr: errors.length ? `${errors.join('\n')}\n` : '' };
  }

  private index = new BatchIndex(new Map(), []);

  // Applies one batch line; returns the kernel's error text, or null.
  private batchLine(line: string): string | null {
    let m = /^link set dev (\S+) (up|down)$/.exec(line);
    if (m) {
      const link = this.links.get(m[1] as string);
      if (!link) return `Cannot find device "${m[1]}"`;
      link.up = m[2] === 'up';
      return null;
    }
    // IPv4: optional label. IPv6 adds carry exactly the flags a VIP needs, or the line is unexpected.
    m =
      /^address (add|del) ([0-9.]+)\/(\d+) dev (\S+)( label (\S+))?$/.exec(line) ??
      /^address (add) ([0-9a-f:]+)\/(\d+) dev (\S+) nodad preferred_lft 0 noprefixroute$/.exec(line) ??
      /^address (del) ([0-9a-f:]+)\/(\d+) dev (\S+)$/.exec(line) ??
      /^address (change) ([0-9a-f:]+)\/(\d+) dev (\S+) nodad preferred_lft 0 noprefixroute$/.exec(line);
    if (m) {
      const [, verb, local, prefix, dev, , label] = m as unknown as string[];
      const link = this.links.get(dev as string);
      if (!link) return `Cannot find device "${dev}"`;
      const v6 = local?.includes(':');
      const key = `${local}/${prefix} dev ${dev}`;
      const found = this.index.addresses.get(key);
      if (verb === 'change' && found) {
        Object.assign(found, VIP6_FLAGS);
        return null;
      }
      // The kernel creates a missing IPv6 address on `change` as on `add`.
      if (verb === 'add' || verb === 'change') {
        if (found) return v6 ? 'Error: ipv6: address already assigned.' : 'Error: ipv4: Address already assigned.';
        const address: FakeAddress = v6
          ? { local: local as string, prefixlen: Number(prefix), family: 'inet6', ...VIP6_FLAGS }
          : { local: local as string, prefixlen: Number(prefix), family: 'inet', label: label ?? link.name };
        link.addresses.push(address);
        this.index.addresses.set(key, address);
      } else {
        if (!found) return v6 ? 'Error: ipv6: address not found.' : 'Error: ipv4: Address not found.';
        this.index.addresses.delete(key);
        this.index.gone.add(found);
      }
      return null;
    }
    m = /^route (add|del) ([0-9a-f.:]+)\/(\d+) dev (\S+)$/.exec(line);
    if (m) {
      const [, verb, dst, prefix, dev] = m as unknown as string[];
      const link = this.links.get(dev as string);
      if (!link) return `Cannot find device "${dev}"`;
      const found = this.index.routes.get(`${dst}/${prefix}`);
      if (verb === 'add') {
        if (!link.up) return 'Error: Nexthop device is not up.';
        if (found) return 'RTNETLINK answers: File exists';
        const route = { dst: dst as string, prefixlen: Number(prefix), dev: dev as string };
        this.routes.push(route);
        this.index.routes.set(`${dst}/${prefix}`, route);
      } else {
        if (!found || found.dev !== dev) return 'RTNETLINK answers: No such process';
        this.index.routes.delete(`${dst}/${prefix}`);
        this.index.gone.add(found);
      }
      return null;
    }
    m = /^fou (add|del) port (\d+)( gue)?( -6)?$/.exec(line);
    if (m && (m[1] === 'add') === (m[3] !== undefined)) {
      if (this.fou === null) return 'RTNETLINK answers: No such file or directory';
      const [, verb, port, , v6] = m as unknown as string[];
      const listener = this.fou.find((f) => f.split(' ')[1] === port && f.endsWith(' -6') === Boolean(v6));
      if (verb === 'add') {
        if (listener || this.udpPorts.has(Number(port))) return 'RTNETLINK answers: Address already in use';
        this.fou.push(`port ${port} gue${v6 ?? ''}`);
      } else {
        if (!listener) return 'RTNETLINK answers: Invalid argument';
        this.fou.splice(this.fou.indexOf(listener), 1);
      }
      return null;
    }
    throw new Error(`fake kernel: unexpected ip batch line: ${line}`);
  }

  // As `ip -json fou show` prints the listeners of both families.
  private fouShow(): CommandResult {
    if (this.fou === null)
      return {
        exitCode: 1,
        stdout: '',
        stderr: 'RTNETLINK answers: No such file or directory\nError talking to the kernel\n',
      };
    return ok(
      `${JSON.stringify(
        this.fou.map((f) => {
          const [, port, kind, proto, v6] = /^port (\d+) (gue|ipproto (\d+))( -6)?$/.exec(f) ?? [];
          return {
            port: Number(port),
            ...(kind === 'gue' ? { gue: null } : { ipproto: Number(proto) }),
            family: v6 ? 'inet6' : 'inet',
          };
        }),
      )}\n`,
    );
  }

  private addrShow(): unknown[] {
    return [...this.links.values()].map((l, i) => ({
      ifindex: i + 1,
      ifname: l.name,
      flags: l.up ? ['UP', 'LOWER_UP'] : [],
      ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
      link_type: l.linkType,
      addr_info: l.addresses.map((a) => ({
        family: a.family,
        local: a.local,
        prefixlen: a.prefixlen,
        ...(a.family === 'inet' ? { label: a.label } : v6Flags(a)),
      })),
    }));
  }

  private routeShow(): unknown[] {
    return this.routes
      .filter((r) => !r.dst.includes(':'))
      .map((r) => ({
        dst: r.prefixlen === 32 ? r.dst : `${r.dst}/${r.prefixlen}`,
        dev: r.dev,
        scope: 'link',
        flags: [],
      }));
  }

  // As `ip -json -6 route show` prints a host route: no /128, a metric, a preference.
  private routeShow6(): unknown[] {
    return this.routes
      .filter((r) => r.dst.includes(':'))
      .map((r) => ({
        dst: r.prefixlen === 128 ? r.dst : `${r.dst}/${r.prefixlen}`,
        dev: r.dev,
        metric: 1024,
        flags: [],
        pref: 'medium',
      }));
  }
}

// Addresses by "local/prefix dev name", routes by "dst/prefix" (the main table holds
// one route per prefix); what a batch deleted leaves the lists when it ends.
class BatchIndex {
  readonly addresses = new Map<string, FakeAddress>();
  readonly routes = new Map<string, FakeRoute>();
  readonly gone = new Set<FakeAddress | FakeRoute>();

  constructor(
    private readonly links: Map<string, FakeLink>,
    private readonly routeList: FakeRoute[],
  ) {
    for (const link of links.values()) {
      for (const a of link.addresses) this.addresses.set(`${a.local}/${a.prefixlen} dev ${link.name}`, a);
    }
    for (const r of routeList) this.routes.set(`${r.dst}/${r.prefixlen}`, r);
  }

  flush(): void {
    if (this.gone.size === 0) return;
    for (const link of this.links.values()) removeInPlace(link.addresses, this.gone);
    removeInPlace(this.routeList, this.gone);
  }
}

// Tests may hold on to the lists: they are edited, never replaced.
function removeInPlace<T>(list: T[], gone: Set<unknown>): void {
  let kept = 0;
  for (const item of list) if (!gone.has(item)) list[kept++] = item;
  list.length = kept;
}

// As ip prints an IPv6 address: each flag only when set, then the lifetimes.
function v6Flags(a: FakeAddress): Record<string, unknown> {
  return {
    ...(a.nodad ? { nodad: true } : {}),
    ...(a.deprecated ? { deprecated: true } : {}),
    ...(a.noprefixroute ? { noprefixroute: true } : {}),
    valid_life_time: FOREVER,
    preferred_life_time: a.deprecated ? 0 : FOREVER,
  };
}

function ok(stdout: string): CommandResult {
  return { exitCode: 0, stdout, stderr: '' };
}
