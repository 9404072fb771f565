import { execa } from 'execa';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, asUser, deleteUser } from './unprivileged-user.js';

let counter = 0;

// A real unprivileged local user for a test of what one can do to rs-agent running as
// root beside it, one per test (useUnprivilegedUser makes one per file): removed (with
// every directory the test made for it) by remove(), which the test calls in afterEach so
// it also runs on failure.
export class HostileUser {
  private readonly dirs: string[] = [];

  private constructor(
    readonly name: string,
    readonly uid: number,
    readonly gid: number,
  ) {}

  static async create(): Promise<HostileUser> {
    const { name, uid, gid } = await addUser(`rsa-test-${process.pid}-${counter++}`);
    return new HostileUser(name, uid, gid);
  }

  // The prefix that runs a command as this user, with no supplementary groups.
  get prefix(): string[] {
    return asUser(this);
  }

  // Runs a command as this user; throws on failure.
  async run(argv: string[]): Promise<string> {
    const [setpriv, ...options] = this.prefix;
    return (await execa(setpriv!, [...options, ...argv])).stdout;
  }

  // The prefix of a CLI run (TestNamespace.cliArgv) that first has this user plant a
  // symlink to target at each of paths, then runs the CLI. sh execs the CLI in place, so
  // "$$" in a path is the CLI's pid: the pid rs-agent's temp names used to carry.
  symlinksBeforeCli(target: string, paths: string[]): string[] {
    const plant = `for f in ${paths.join(' ')}; do ${this.prefix.join(' ')} ln -s ${target} "$f" || exit 99; done`;
    return ['sh', '-c', `${plant}; exec "$@"`, 'sh'];
  }

  // A directory of this user's own under /tmp (mktemp run as the user), chmod'ed to mode.
  async makeDir(mode = 0o755): Promise<string> {
    const dir = await this.run(['mktemp', '-d', '/tmp/rsa-hostile-XXXXXX']);
    this.dirs.push(dir);
    await this.run(['chmod', mode.toString(8), dir]);
    return dir;
  }

  async remove(): Promise<void> {
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    await deleteUser(this.name);
  }
}

export const ROOT_ONLY = 'root only\n';

// A file only root may read or write (mode 0600 in dir, a directory of root's): what a
// user's planted symlink points at, which must still hold ROOT_ONLY afterwards.
export function rootOnlyFile(dir: string): string {
  const path = join(dir, 'root-only');
  writeFileSync(path, ROOT_ONLY, { mode: 0o600 });
  return path;
}
