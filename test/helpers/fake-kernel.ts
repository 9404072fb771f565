import { readFileSync } from 'node:fs';
import { AgentError } from '../../src/errors.js';
import type { RunOptions, RunResult, Runner } from '../../src/system/runner.js';
import type { SysctlFs } from '../../src/system/sysctl-fs.js';

// A strict, in-memory model of the kernel objects rs-agent touches. It understands
// exactly the commands rs-agent is meant to run and throws on anything else, so a
// test fails the moment the code runs a command nobody expected. Real-kernel tests
// in network namespaces keep it honest.

interface FakeAddress {
  local: string;
  prefixlen: number;
  family: 'inet' | 'inet6';
  label?: string;
}

interface FakeLink {
  name: string;
  up: boolean;
  linkType: string;
  addresses: FakeAddress[];
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
    const addresses = [...this.links.values()].flatMap((l) => l.addresses.map((a) => `${a.local}/${a.prefixlen} dev ${l.name}${a.label && a.label !== l.name ? ` label ${a.label}` : ''}`));
    return {
      addresses: addresses.sort(),
      routes: this.routes.map((r) => `${r.dst}/${r.prefixlen} dev ${r.dev}`).sort(),
      up: [...this.links.values()].filter((l) => l.up).map((l) => l.name).sort(),
      sysctls: Object.fromEntries([...this.sysctls.entries()].sort()),
    };
  }

  mutatingCommands(): string[] {
    return this.commands.filter((c) => !c.startsWith('ip -json -batch -'));
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
  }

  // --- Runner
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const text = argv.join(' ');
    // The batch file is read when the command runs, as ip does.
    const batchFile = argv.length === 4 && text.startsWith('ip -force -batch /') ? readFileSync(argv[3] as string, 'utf8') : undefined;
    const input = options.input ?? batchFile;
    this.commands.push(input ? `${text} <<< ${input.trim().split('\n').join(' | ')}` : text);
    if (text === 'ip -json -batch -' && options.input === 'addr show\nroute show table main\n') {
      return ok(`${JSON.stringify(this.addrShow())}\n${JSON.stringify(this.routeShow())}\n`);
    }
    if (batchFile !== undefined) return this.batch(batchFile, argv[3] as string);
    if (argv[0] === 'modprobe' && argv.length === 2) return this.modprobe(argv[1] as string);
    throw new Error(`fake kernel: unexpected command: ${text}${options.input ? ` with input ${JSON.stringify(options.input)}` : ''}`);
  }

  private modprobe(name: string): RunResult {
    if (!this.availableModules.has(name)) {
      return { exitCode: 1, stdout: '', stderr: `modprobe: FATAL: Module ${name} not found in directory /lib/modules/fake\n` };
    }
    if (name === 'ipip' && !this.links.has('tunl0')) this.addLink('tunl0', 'ipip', false);
    return ok('');
  }

  // As ip does: each failed line's message, then "Command failed FILE:N".
  private batch(input: string, file: string): RunResult {
    const errors: string[] = [];
    input.split('\n').filter(Boolean).forEach((line, i) => {
      const failure = this.failingLines.get(line) ?? this.batchLine(line);
      if (failure) errors.push(`${failure}\nCommand failed ${file}:${i + 1}`);
    });
    return { exitCode: errors.length ? 1 : 0, stdout: '', stderr: errors.length ? `${errors.join('\n')}\n` : '' };
  }

  // Applies one batch line; returns the kernel's error text, or null.
  private batchLine(line: string): string | null {
    let m = /^link set dev (\S+) (up|down)$/.exec(line);
    if (m) {
      const link = this.links.get(m[1] as string);
      if (!link) return `Cannot find device "${m[1]}"`;
      link.up = m[2] === 'up';
      return null;
    }
    m = /^address (add|del) ([0-9a-f.:]+)\/(\d+) dev (\S+)( label (\S+))?( nodad preferred_lft 0)?$/.exec(line);
    if (m) {
      const [, verb, local, prefix, dev, , label] = m as unknown as string[];
      const link = this.links.get(dev as string);
      if (!link) return `Cannot find device "${dev}"`;
      const i = link.addresses.findIndex((a) => a.local === local && a.prefixlen === Number(prefix));
      if (verb === 'add') {
        if (i >= 0) return 'Error: ipv4: Address already assigned.';
        link.addresses.push({ local: local as string, prefixlen: Number(prefix), family: local?.includes(':') ? 'inet6' : 'inet', label: label ?? link.name });
      } else {
        if (i < 0) return 'Error: ipv4: Address not found.\nRTNETLINK answers: Cannot assign requested address';
        link.addresses.splice(i, 1);
      }
      return null;
    }
    m = /^route (add|del) ([0-9a-f.:]+)\/(\d+) dev (\S+)$/.exec(line);
    if (m) {
      const [, verb, dst, prefix, dev] = m as unknown as string[];
      const link = this.links.get(dev as string);
      if (!link) return `Cannot find device "${dev}"`;
      const i = this.routes.findIndex((r) => r.dst === dst && r.prefixlen === Number(prefix) && r.dev === dev);
      if (verb === 'add') {
        if (!link.up) return 'Error: Nexthop device is not up.';
        if (this.routes.some((r) => r.dst === dst && r.prefixlen === Number(prefix))) return 'RTNETLINK answers: File exists';
        this.routes.push({ dst: dst as string, prefixlen: Number(prefix), dev: dev as string });
      } else {
        if (i < 0) return 'RTNETLINK answers: No such process';
        this.routes.splice(i, 1);
      }
      return null;
    }
    throw new Error(`fake kernel: unexpected ip batch line: ${line}`);
  }

  private addrShow(): unknown[] {
    return [...this.links.values()].map((l, i) => ({
      ifindex: i + 1,
      ifname: l.name,
      flags: l.up ? ['UP', 'LOWER_UP'] : [],
      link_type: l.linkType,
      addr_info: l.addresses.map((a) => ({ family: a.family, local: a.local, prefixlen: a.prefixlen, ...(a.family === 'inet' ? { label: a.label } : {}) })),
    }));
  }

  private routeShow(): unknown[] {
    return this.routes
      .filter((r) => !r.dst.includes(':'))
      .map((r) => ({ dst: r.prefixlen === 32 ? r.dst : `${r.dst}/${r.prefixlen}`, dev: r.dev, scope: 'link', flags: [] }));
  }
}

function ok(stdout: string): RunResult {
  return { exitCode: 0, stdout, stderr: '' };
}
