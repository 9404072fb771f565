import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// The built CLI, run exactly as an operator would (npm test builds it first).
export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

// A copy of the built CLI in dir: every file of dist/cli (the entry main.js, the bundle it
// loads, its source map and code cache), each with the given mode. Returns the entry's path.
export function copyCli(dir: string, mode: number): string {
  for (const name of readdirSync(dirname(CLI))) {
    copyFileSync(join(dirname(CLI), name), join(dir, name));
    chmodSync(join(dir, name), mode);
  }
  return join(dir, 'main.js');
}

let counter = 0;

// `env VAR=value...` in front of a command.
export function envPrefix(env: Record<string, string>): string[] {
  return ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// A throwaway network namespace with lo up and a veth pair (eth0 and its peer) in it,
// plus a temp dir for the config and the state dir. Nothing here touches the
// machine's own namespace: every command runs with `ip -n` or `ip netns exec`.
export class TestNamespace {
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  // The CLI bundle this namespace runs: the checkout's, or a copy where another user can
  // read it (useCliCopy).
  cliPath = CLI;

  private constructor(
    readonly name: string,
    parent: string,
  ) {
    this.dir = mkdtempSync(join(parent, `${name}-`));
    this.configPath = join(this.dir, 'rs-agent.yaml');
    this.stateDir = join(this.dir, 'state');
  }

  // tmpfs: the temp dir (so the state dir) on /dev/shm, as /run/rs-agent is in
  // production; on a disk every daemon pass pays for the fsync of its status file.
  static async create(options: { nic?: boolean; tmpfs?: boolean } = {}): Promise<TestNamespace> {
    const ns = new TestNamespace(`rsa-${process.pid}-${counter++}`, options.tmpfs ? '/dev/shm' : tmpdir());
    await execa('ip', ['netns', 'add', ns.name]);
    await ns.ip(['link', 'set', 'lo', 'up']);
    if (options.nic !== false) {
      await ns.ip(['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer']);
      await ns.ip(['link', 'set', 'eth0', 'up']);
      await ns.ip(['link', 'set', 'eth0-peer', 'up']);
    }
    return ns;
  }

  // An environment whose PATH finds a stand-in for `name` first: a shell script the
  // test writes (e.g. a modprobe that fails as it does where the module is missing,
  // whatever this machine's kernel has, and without loading anything for the host).
  stubCommand(name: string, script: string): Record<string, string> {
    const bin = join(this.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
  }

  writeConfig(yaml: string): void {
    writeFileSync(this.configPath, yaml);
  }

  // Runs a copy of the CLI bundle kept in this namespace's directory (0755, with the caller
  // making the directory itself readable): a user other than root cannot run the checkout's
  // when it lies under a directory only root may search, as a CI clone in a 0700 temp dir does.
  useCliCopy(): void {
    const dir = join(this.dir, 'cli');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    this.cliPath = copyCli(dir, 0o644);
  }

  // The arguments of `ip` that run the real CLI inside the namespace with this namespace's
  // config and state dir: `ip netns exec NS [prefix...] node CLI args... --config --state-dir`.
  // The prefix is what runs the CLI (env with variables, setpriv, unshare, a shell); `ip netns
  // exec`, `env` and `setpriv` exec in place, so the pid of the `ip` child is the CLI's own.
  cliArgv(args: string[], prefix: string[] = [], configPath = this.configPath): string[] {
    return [
      'netns',
      'exec',
      this.name,
      ...prefix,
      process.execPath,
      this.cliPath,
      ...args,
      '--config',
      configPath,
      '--state-dir',
      this.stateDir,
    ];
  }

  // The real CLI inside the namespace, run by `prefix` (nothing: the CLI itself).
  async cliWith(prefix: string[], args: string[], configPath = this.configPath): Promise<CliResult> {
    const r = await execa('ip', this.cliArgv(args, prefix, configPath), { reject: false });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  // The real CLI inside the namespace, with this namespace's config and state dir.
  cli(args: string[], env: Record<string, string> = {}, configPath = this.configPath): Promise<CliResult> {
    return this.cliWith(envPrefix(env), args, configPath);
  }

  // The CLI as root without CAP_NET_ADMIN (dropped from the bounding set), as in a
  // container or a unit that did not grant it: the permission error path. (Running
  // as another uid would depend on the checkout being readable by that uid.)
  cliWithoutNetAdmin(args: string[]): Promise<CliResult> {
    return this.cliWith(['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin'], args);
  }

  async exec(argv: string[]): Promise<string> {
    const r = await execa('ip', ['netns', 'exec', this.name, ...argv]);
    return r.stdout;
  }

  async ip(args: string[]): Promise<string> {
    const r = await execa('ip', ['-n', this.name, ...args]);
    return r.stdout;
  }

  // /proc/sys as seen from inside the namespace (the test process sees its own).
  async sysctl(path: string): Promise<string> {
    return (await this.exec(['cat', `/proc/sys/${path}`])).trim();
  }

  async setSysctl(path: string, value: string): Promise<void> {
    await this.exec(['sh', '-c', `echo ${value} > /proc/sys/${path}`]);
  }

  async addresses(dev: string): Promise<{ local: string; prefixlen: number; label?: string }[]> {
    const links = JSON.parse(await this.ip(['-json', 'addr', 'show', 'dev', dev])) as {
      addr_info: { family: string; local: string; prefixlen: number; label?: string }[];
    }[];
    return (links[0]?.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map(({ local, prefixlen, label }) => ({ local, prefixlen, ...(label ? { label } : {}) }));
  }

  async routes(): Promise<{ dst: string; dev: string }[]> {
    return (
      JSON.parse(await this.ip(['-json', 'route', 'show', 'table', 'main'])) as { dst: string; dev: string }[]
    ).map(({ dst, dev }) => ({ dst, dev }));
  }

  async destroy(): Promise<void> {
    await execa('ip', ['netns', 'del', this.name], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
