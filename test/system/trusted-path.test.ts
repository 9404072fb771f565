import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  linkSync,
  mkdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeUid,
  directoryProblem,
  explainProblem,
  makeDirectory,
  replacedFileProblem,
} from '../../src/system/trusted-path.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The StrictModes-like check on real directories (the tests run as root, so they can give
// a directory to any uid; no such user need exist). Each temp dir is root's, mode 0700,
// under /tmp (root's, sticky).

const OTHER = 4242; // a uid with no name in /etc/passwd
const MUST = 'it must be owned by root and writable by no one else';

describe('directoryProblem', () => {
  const tmp = useTempDir('rsa-trusted-');
  const dir = (name: string, mode = 0o755, uid = 0) => {
    const path = join(tmp(), name);
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
    chownSync(path, uid, 0);
    return path;
  };

  it("accepts root's directories, /tmp (sticky) above them included", () => {
    expect(directoryProblem(dir('a/b/c'))).toBeNull();
    expect(directoryProblem('/tmp/../run/..')).toBeNull(); // "/" itself
    expect(directoryProblem(tmp())).toBeNull();
  });

  it("names the directory and its owner and mode when it is someone else's", () => {
    const path = dir('x', 0o755, OTHER);
    expect(directoryProblem(path)).toEqual({ path, reason: `is owned by uid ${OTHER} and mode 0755: ${MUST}` });
    expect(explainProblem(`state directory ${path}`, path, directoryProblem(path)!)).toBe(
      `state directory ${path} is owned by uid ${OTHER} and mode 0755: ${MUST}`,
    );
  });

  it('refuses a directory of root that its group or others may write', () => {
    expect(directoryProblem(dir('g', 0o775))?.reason).toBe(`is owned by uid 0 (root) and mode 0775: ${MUST}`);
    expect(directoryProblem(dir('o', 0o757))?.reason).toBe(`is owned by uid 0 (root) and mode 0757: ${MUST}`);
  });

  it('names the directory above that is at fault', () => {
    const above = dir('above', 0o777);
    const path = dir('above/state', 0o700);
    expect(directoryProblem(path)).toEqual({ path: above, reason: `is owned by uid 0 (root) and mode 0777: ${MUST}` });
    expect(explainProblem(`state directory ${path}`, path, directoryProblem(path)!)).toBe(
      `state directory ${path}: ${above} is owned by uid 0 (root) and mode 0777: ${MUST}`,
    );
  });

  it('a sticky directory of root is fine above, not as the directory itself; a sticky one of another user is not', () => {
    dir('sticky', 0o1777);
    expect(directoryProblem(dir('sticky/mine', 0o700))).toBeNull();
    expect(directoryProblem(join(tmp(), 'sticky'))?.reason).toMatch(/mode 1777: /);
    dir('theirs', 0o1777, OTHER);
    expect(directoryProblem(dir('theirs/mine', 0o700))?.path).toBe(join(tmp(), 'theirs'));
  });

  it('follows symlinks and checks where they lead; a link someone else owns is refused itself', () => {
    const bad = dir('bad', 0o777);
    dir('bad/inner');
    symlinkSync(join(bad, 'inner'), join(tmp(), 'abs'));
    symlinkSync('bad/inner', join(tmp(), 'rel'));
    expect(directoryProblem(join(tmp(), 'abs'))?.path).toBe(bad);
    expect(directoryProblem(join(tmp(), 'rel', 'deeper'))?.path).toBe(bad);
    // ".." after a link is taken where the link leads, as the kernel does.
    const good = dir('good/inner');
    symlinkSync(good, join(tmp(), 'to-good'));
    expect(directoryProblem(`${tmp()}/to-good/../../bad`)?.path).toBe(bad); // not path.join's lexical ..
    symlinkSync(good, join(tmp(), 'theirs-link'));
    lchownSync(join(tmp(), 'theirs-link'), OTHER, 0);
    expect(directoryProblem(join(tmp(), 'theirs-link'))).toEqual({
      path: join(tmp(), 'theirs-link'),
      reason: `is owned by uid ${OTHER} and mode 0777: ${MUST}`,
    });
  });

  it('a file or a symlink loop in the way is a problem; a missing directory is not', () => {
    writeFileSync(join(tmp(), 'file'), '');
    expect(directoryProblem(join(tmp(), 'file', 'x'))).toEqual({
      path: join(tmp(), 'file'),
      reason: 'is not a directory',
    });
    symlinkSync('loop', join(tmp(), 'loop'));
    expect(directoryProblem(join(tmp(), 'loop'))?.reason).toBe('has too many symlinks');
    expect(directoryProblem(join(tmp(), 'missing', 'deeper'))).toBeNull();
  });

  it('accepts another owner only when told to: the seam for a dedicated system user', () => {
    const path = dir('system-user', 0o700, OTHER);
    expect(directoryProblem(path)).not.toBeNull();
    expect(directoryProblem(path, [0, OTHER])).toBeNull();
    expect(directoryProblem(dir('system-user-g', 0o770, OTHER), [0, OTHER])?.reason).toBe(
      `is owned by uid ${OTHER} and mode 0770: it must be owned by root or uid ${OTHER} and writable by no one else`,
    );
  });
});

describe('makeDirectory', () => {
  const tmp = useTempDir('rsa-mkdir-');
  let umask: number | undefined;
  afterEach(() => {
    if (umask !== undefined) process.umask(umask);
    umask = undefined;
  });

  it('creates what is missing with exactly the mode asked for, whatever the umask', () => {
    for (const mask of [0o000, 0o077]) {
      umask = process.umask(mask);
      const path = join(tmp(), `m${mask}`, 'a', 'b');
      expect(makeDirectory(path, 0o700)).toBeNull();
      for (const created of [join(tmp(), `m${mask}`), join(tmp(), `m${mask}`, 'a'), path])
        expect(statSync(created).mode & 0o7777).toBe(0o700);
      expect(makeDirectory(join(tmp(), `n${mask}`), 0o755)).toBeNull();
      expect(statSync(join(tmp(), `n${mask}`)).mode & 0o7777).toBe(0o755);
      process.umask(umask);
      umask = undefined;
    }
  });

  it("creates nothing under a directory that is someone else's", () => {
    const theirs = join(tmp(), 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, OTHER, 0);
    expect(makeDirectory(join(theirs, 'state'), 0o700)?.path).toBe(theirs);
    expect(existsSync(join(theirs, 'state'))).toBe(false);
  });

  it('an existing directory is checked, not changed', () => {
    const path = join(tmp(), 'open');
    mkdirSync(path, { mode: 0o777 });
    chmodSync(path, 0o777);
    expect(makeDirectory(path, 0o700)?.reason).toMatch(/mode 0777/);
    expect(statSync(path).mode & 0o7777).toBe(0o777);
  });
});

describe('replacedFileProblem', () => {
  const tmp = useTempDir('rsa-replaced-');

  it('a missing file or a regular file of root is fine', () => {
    expect(replacedFileProblem(join(tmp(), 'cache.json'))).toBeNull();
    writeFileSync(join(tmp(), 'cache.json'), '{}', { mode: 0o600 });
    expect(replacedFileProblem(join(tmp(), 'cache.json'))).toBeNull();
  });

  it('refuses a symlink, a FIFO, a directory, a hard-linked file, a file someone else owns or may write', () => {
    const at = (name: string) => join(tmp(), name);
    writeFileSync(at('target'), 'root only\n', { mode: 0o600 });
    symlinkSync(at('target'), at('link'));
    execFileSync('mkfifo', [at('fifo')]);
    mkdirSync(at('dir'));
    linkSync(at('target'), at('hard'));
    writeFileSync(at('theirs'), '');
    chownSync(at('theirs'), OTHER, 0);
    writeFileSync(at('open'), '');
    chmodSync(at('open'), 0o666);
    expect(replacedFileProblem(at('link'))?.reason).toBe('is a symlink; name the file itself');
    expect(replacedFileProblem(at('fifo'))?.reason).toBe('is not a regular file');
    expect(replacedFileProblem(at('dir'))?.reason).toBe('is a directory, not a file');
    expect(replacedFileProblem(at('hard'))?.reason).toBe('has 1 other hard link(s)');
    expect(replacedFileProblem(at('theirs'))?.reason).toBe(`is owned by uid ${OTHER} and mode 0644: ${MUST}`);
    expect(replacedFileProblem(at('open'))?.reason).toBe(`is owned by uid 0 (root) and mode 0666: ${MUST}`);
  });

  it("checks the file's directory first", () => {
    chmodSync(tmp(), 0o777);
    expect(replacedFileProblem(join(tmp(), 'x.prom'))?.path).toBe(tmp());
  });
});

describe('describeUid', () => {
  const tmp = useTempDir('rsa-passwd-');
  it('names a uid by /etc/passwd where the name is plain', () => {
    const passwd = join(tmp(), 'passwd');
    writeFileSync(
      passwd,
      'root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\nodd\x1b[1m:x:1001:1::/:/bin/sh\n',
    );
    expect(describeUid(0, passwd)).toBe('uid 0 (root)');
    expect(describeUid(1000, passwd)).toBe('uid 1000 (bob)');
    expect(describeUid(1001, passwd)).toBe('uid 1001'); // an escape sequence is not printed
    expect(describeUid(1002, passwd)).toBe('uid 1002');
    expect(describeUid(0, join(tmp(), 'none'))).toBe('uid 0');
  });
});
