// The two Debian packages the systemd suite installs in the VM: this checkout's (built from
// its dist/, as `npm run package:deb` does) and an older commit's, for the upgrade in place.
// Both land where guest/systemd-units.sh looks for them (.cache/deb/), which the VM sees
// through the host root.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cluster-run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEB_DIR = join(cacheDir, 'deb');

// The commit that added deb/build.mjs (`git log --diff-filter=A -- deb/build.mjs`): the first
// released shape of the package. Its units differ from today's (the watcher's syscall filter
// lacks @module) and its state file has no ifindex, nft or fou members, so the upgrade runs
// a changed unit over a running watcher and reads a state file the new version did not write.
export const OLD_COMMIT = '6b5375d6bc2d2d7ad373f7e690f006e1e4906c44';

export interface Debs {
  newVersion: string;
  oldVersion: string;
}

export function buildDebs(): Debs {
  checkDependsInstalled();
  rmSync(DEB_DIR, { recursive: true, force: true });
  mkdirSync(DEB_DIR, { recursive: true });
  const newVersion = buildDeb(ROOT, join(DEB_DIR, 'rs-agent-new.deb'));
  return { newVersion, oldVersion: buildOld() };
}

// deb/build.mjs of tree into OUT; the package's Debian version.
function buildDeb(tree: string, out: string): string {
  const outDir = mkdtempSync(join(tmpdir(), 'rs-agent-deb-'));
  try {
    execFileSync('node', [join(tree, 'deb/build.mjs'), outDir], { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
    const [deb] = readdirSync(outDir).filter((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`deb/build.mjs in ${tree} built no package`);
    copyFileSync(join(outDir, deb), out);
    return /^rs-agent_(.+)_all\.deb$/.exec(deb)![1]!;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

// OLD_COMMIT's tree (git archive: no worktree to clean up), built with that commit's own
// `npm run build` against this checkout's node_modules. Its version is relabelled
// 0.1.0~git<commit>: a release before 0.1.0 to dpkg (so `dpkg -i` of this checkout's package
// is an upgrade), and a --version that tells the two programs apart.
function buildOld(): string {
  const tree = mkdtempSync(join(tmpdir(), 'rs-agent-old-'));
  try {
    try {
      execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', ROOT, OLD_COMMIT, tree], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      throw new Error(
        `git archive ${OLD_COMMIT} failed: the suite needs the repository's history (a full clone): ${String(error)}`,
      );
    }
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(tree, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'] });
    const pkgFile = join(tree, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
    const upstream = `${pkg.version}~git${OLD_COMMIT.slice(0, 7)}`;
    writeFileSync(pkgFile, JSON.stringify({ ...pkg, version: upstream }, null, 2));
    const changelog = join(tree, 'deb/changelog');
    writeFileSync(changelog, readFileSync(changelog, 'utf8').replace(/^rs-agent \([^)-]+/, `rs-agent (${upstream}`));
    return buildDeb(tree, join(DEB_DIR, 'rs-agent-old.deb'));
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

// The VM's dpkg is the host's (its root over 9p): the package's Depends must be installed
// here as Debian packages, nodejs included (node from a tarball or nvm does not count).
function checkDependsInstalled(): void {
  const control = readFileSync(join(ROOT, 'deb/control'), 'utf8');
  for (const dep of (/^Depends: (.+)$/m.exec(control)?.[1] ?? '').split(',')) {
    const m = /^\s*([a-z0-9.+-]+)(?:\s*\(>=\s*([^)\s]+)\))?\s*$/.exec(dep);
    if (!m) throw new Error(`deb/control: cannot read the dependency ${JSON.stringify(dep)}`);
    const [, name, min] = m;
    let status = '';
    try {
      status = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev} ${Version}', name!], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      /* not known to dpkg */
    }
    const [abbrev, version] = status.trim().split(/\s+/);
    const ok =
      abbrev === 'ii' &&
      (min === undefined ||
        execFileSync('sh', ['-c', 'dpkg --compare-versions "$1" ge "$2" && echo yes || echo no', 'sh', version!, min], {
          encoding: 'utf8',
        }).trim() === 'yes');
    if (!ok) {
      throw new Error(
        `the VM installs the package with this host's dpkg: ${dep.trim()} must be installed here as a Debian package ` +
          `(found: ${status.trim() || 'not installed'})`,
      );
    }
  }
}
