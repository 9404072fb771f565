import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/types.js';
import { AgentError, describeError, isCode } from '../errors.js';
import { MODULES_LOAD } from '../objects/module.js';
import { syncDir, writeFileAtomic } from '../system/atomic-write.js';
import { directoryProblem, problemText } from '../system/trusted-path.js';
import { binaryPathProblems, unitExecPath } from './binary-path.js';
import { renderModulesLoad, renderSysctlDropIn, SYSCTL_DROP_IN } from './boot-files.js';
import { MANIFEST, readManifest, renderManifest, sha256 } from './manifest.js';
import { PATHS_DROP_IN, renderPathsDropIn, SERVICE_UNITS } from './unit-paths.js';

// The systemd units shipped with the program: the units/ directory nearest above the
// running bundle (a checkout's dist/cli/main.js, or a package's own directory).
export const PACKAGE_UNITS_DIR = findUnitsDir(dirname(fileURLToPath(import.meta.url)));

function findUnitsDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'units', 'rs-agent.service'))) return join(dir, 'units');
    if (dirname(dir) === dir) return resolve(from, 'units'); // none: install says so
  }
}
export const UNIT_DIR = '/etc/systemd/system';

// The path the shipped units name; install writes the path of the rs-agent that runs
// instead (npm install -g puts it in /usr/local/bin, a checkout runs dist/cli/main.js).
export const UNITS_BINARY = '/usr/local/bin/rs-agent';

export type FileActionKind = 'wrote' | 'updated' | 'unchanged' | 'removed' | 'kept' | 'already gone';

export interface FileAction {
  path: string; // in the target tree, e.g. /etc/sysctl.d/90-rs-agent.conf
  action: FileActionKind;
  note?: string;
}

interface WantedFile {
  path: string;
  content: Buffer;
}

// Writes the units, the sysctl.d drop-in and the modules-load.d file the config
// implies into the tree at root, and records them in the manifest. Run again after
// the config changes: files still needed are brought up to date, files no longer
// needed are removed. A file rs-agent did not write (or that was edited since) is
// never overwritten: install refuses and writes nothing.
// The units run `binary` as root: a binary someone other than root could change is
// refused (nothing written) unless allowUnsafePath, which makes it a warning.
export function install(opts: {
  root: string;
  config: Config;
  unitsDir?: string;
  binary?: string;
  allowUnsafePath?: boolean;
  warn?: (message: string) => void;
}): FileAction[] {
  const { root } = opts;
  const binary = opts.binary ?? UNITS_BINARY;
  const wanted = wantedFiles(opts.config, opts.unitsDir ?? PACKAGE_UNITS_DIR, binary);
  if (wanted.some((f) => dirname(f.path) === UNIT_DIR)) requireSafeBinary(binary, opts);
  const manifest = readManifest(join(root, MANIFEST));
  const recorded = manifest?.files ?? {};
  refuseUnsafeDirs('install', root, [...wanted.map((f) => f.path), MANIFEST]);
  for (const file of wanted) {
    const current = readIfPresent(join(root, file.path));
    if (current === null || current.equals(file.content) || recorded[file.path] === sha256(current)) continue;
    throw new AgentError(
      `install: ${join(root, file.path)} exists and is not the file rs-agent installed ` +
        "(edited since, or someone else's); nothing was written: move it away, or put the change in the config",
    );
  }

  const actions: FileAction[] = [];
  const files: Record<string, string> = {};
  for (const file of wanted) {
    const target = join(root, file.path);
    const current = readIfPresent(target);
    files[file.path] = sha256(file.content);
    if (current?.equals(file.content)) {
      actions.push({ path: file.path, action: 'unchanged' });
      continue;
    }
    writeAtomic(target, file.content);
    actions.push({ path: file.path, action: current === null ? 'wrote' : 'updated' });
  }
  const stillWanted = new Set(wanted.map((f) => f.path));
  for (const [path, hash] of Object.entries(recorded)) {
    if (!stillWanted.has(path)) actions.push(removeIfOurs(root, path, hash, 'no longer needed by the config'));
  }
  writeAtomic(join(root, MANIFEST), Buffer.from(renderManifest(files)));
  return actions;
}

// Removes exactly the files the manifest lists, each only if it still has the content
// install wrote; an edited one is reported and left. Then the manifest itself.
export function uninstall(opts: { root: string }): FileAction[] | null {
  const manifestPath = join(opts.root, MANIFEST);
  const manifest = readManifest(manifestPath);
  if (manifest === null) return null;
  refuseUnsafeDirs('uninstall', opts.root, [...Object.keys(manifest.files), MANIFEST]);
  const actions = Object.entries(manifest.files).map(([path, hash]) => removeIfOurs(opts.root, path, hash));
  remove(manifestPath);
  return actions;
}

// Every directory install writes in (or removes from) is checked before the first file
// is touched, so a refusal changes nothing (see system/trusted-path.ts).
function refuseUnsafeDirs(command: string, root: string, paths: string[]): void {
  for (const dir of new Set(paths.map((p) => dirname(join(root, p))))) {
    const problem = directoryProblem(dir);
    if (problem) throw new AgentError(`${command}: ${problemText(problem)}; nothing was changed`);
  }
}

// Units installed under root that some target still wants (systemctl enable left a link).
export function stillEnabled(root: string, paths: string[]): string[] {
  const dir = join(root, UNIT_DIR);
  const units = new Set(paths.filter((p) => dirname(p) === UNIT_DIR).map((p) => p.slice(UNIT_DIR.length + 1)));
  if (units.size === 0 || !existsSync(dir)) return [];
  const found = new Set<string>();
  for (const entry of readdirSync(dir)) {
    if (!/\.(wants|requires)$/.test(entry)) continue;
    for (const name of readdirSync(join(dir, entry))) {
      if (units.has(name) && lstatSync(join(dir, entry, name)).isSymbolicLink()) found.add(name);
    }
  }
  return [...found].sort();
}

function wantedFiles(config: Config, unitsDir: string, binary: string): WantedFile[] {
  const files: WantedFile[] = readUnits(unitsDir).map((u) => ({
    path: `${UNIT_DIR}/${u.name}`,
    content: pointUnitAt(u.content, binary),
  }));
  const sysctl = renderSysctlDropIn(config);
  if (sysctl !== null) files.push({ path: SYSCTL_DROP_IN, content: Buffer.from(sysctl) });
  const modules = renderModulesLoad(config);
  if (modules !== null) files.push({ path: MODULES_LOAD, content: Buffer.from(modules) });
  // Also where the package's units (in /lib/systemd/system) are the ones that run.
  const paths = renderPathsDropIn(config);
  if (paths !== null)
    for (const unit of SERVICE_UNITS)
      files.push({ path: `${UNIT_DIR}/${unit}.d/${PATHS_DROP_IN}`, content: Buffer.from(paths) });
  return files;
}

// The unit with its Exec lines naming binary, escaped as systemd reads an Exec line.
export function pointUnitAt(unit: Buffer, binary: string): Buffer {
  const path = unitExecPath(binary);
  if (path === null)
    throw new AgentError(
      `install: ${JSON.stringify(binary)} cannot be named in a unit: systemd wants an absolute path without ` +
        'quotes, backslashes or control characters (systemd.service(5)); run install from rs-agent installed elsewhere',
    );
  return Buffer.from(
    unit
      .toString('utf8')
      .replace(/^(Exec[A-Za-z]*=[-@:+!]*)\/usr\/local\/bin\/rs-agent(?=\s|$)/gm, (_, prefix: string) => prefix + path),
  );
}

function requireSafeBinary(
  binary: string,
  opts: { allowUnsafePath?: boolean; warn?: (message: string) => void },
): void {
  const problems = binaryPathProblems(binary);
  if (problems.length === 0) return;
  const what = `the units would run ${binary} as root, but a user other than root can change what that runs: ${problems.join('; ')}`;
  if (!opts.allowUnsafePath)
    throw new AgentError(
      `install: ${what}; nothing was written: install rs-agent where only root can write ` +
        '(the Debian package, or npm install -g as root), or pass --allow-unsafe-path',
    );
  opts.warn?.(`warning: ${what} (written anyway: --allow-unsafe-path)`);
}

// Every regular file in the units directory, by name; none when it does not exist.
function readUnits(dir: string): { name: string; content: Buffer }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name)) }));
}

function removeIfOurs(root: string, path: string, hash: string, why?: string): FileAction {
  const target = join(root, path);
  const current = readIfPresent(target);
  if (current === null) return { path, action: 'already gone' };
  if (sha256(current) !== hash) return { path, action: 'kept', note: 'changed since rs-agent installed it' };
  remove(target);
  removeEmptyDropInDir(dirname(target));
  return { path, action: 'removed', ...(why ? { note: why } : {}) };
}

function readIfPresent(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw new AgentError(`cannot read ${file}: ${describeError(error)}`);
  }
}

// Durable (fsync of the file and its directory): these files configure the next boot
// (systemd-sysctl, systemd-modules-load, the units), so a power loss soon after install
// must leave the old file or the new, not an empty one.
// A missing directory (/etc/modules-load.d) is made mode 0755, as the system's own are;
// one that someone other than root could change is refused (system/trusted-path.ts).
function writeAtomic(file: string, content: Buffer): void {
  writeFileAtomic(file, content, { mode: 0o644, durable: true, dirMode: 0o755 });
}

// A unit's drop-in directory install made for its drop-in, once that is gone.
function removeEmptyDropInDir(dir: string): void {
  if (!dir.endsWith('.service.d')) return;
  try {
    rmdirSync(dir);
  } catch (error) {
    if (!isCode(error, 'ENOTEMPTY') && !isCode(error, 'ENOENT'))
      throw new AgentError(`cannot remove ${dir}: ${describeError(error)}`);
  }
}

// Synced like a write: a removed drop-in must not come back at the next boot.
function remove(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch (error) {
    throw new AgentError(`cannot remove ${file}: ${describeError(error)}`);
  }
  syncDir(dirname(file));
}
