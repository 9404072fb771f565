import { chmodSync, chownSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryPathProblems, unitExecPath } from '../../src/install/binary-path.js';
import { CLI } from '../helpers/netns.js';
import { rootDir, useUnprivilegedUser } from '../helpers/unprivileged-user.js';

// What a unit's ExecStart runs, followed as the kernel and systemd would: the file, the
// way to it, the interpreter of its #! line. A real unprivileged user owns what is unsafe.

const user = useUnprivilegedUser('bq');
const notRoot = (path: string, who: string, mode: string) =>
  `${path} is owned by ${who} and mode ${mode}: it must be owned by root and writable by no one else`;

describe('binaryPathProblems', () => {
  it('the interpreter a #! line names, directly or as the program env finds on the service PATH', () => {
    const own = rootDir(user().dir, 'interp');
    chownSync(own, user().uid, 0);
    const script = join(rootDir(user().dir, 'bin'), 'rs-agent');
    writeFileSync(script, `#!${own}/node\n`, { mode: 0o755 });
    expect(binaryPathProblems(script)).toEqual([notRoot(own, `uid ${user().uid} (${user().name})`, '0755')]);
    writeFileSync(script, '#!/usr/bin/env -S node --max-semi-space-size=1\n');
    expect(binaryPathProblems(script)).toEqual([]);
    writeFileSync(script, '#!/bin/sh\nexec /usr/bin/node /usr/lib/rs-agent/dist/cli/main.js "$@"\n');
    expect(binaryPathProblems(script)).toEqual([]);
    chmodSync(script, 0o775);
    expect(binaryPathProblems(script)).toEqual([notRoot(script, 'uid 0 (root)', '0775')]);
  });

  it('a root-owned symlink is followed: its target in a directory the user owns is refused; a directory is no binary', () => {
    const theirs = rootDir(user().dir, 'theirs');
    chownSync(theirs, user().uid, user().gid);
    writeFileSync(join(theirs, 'rs-agent'), '#!/bin/sh\n', { mode: 0o755 });
    const bin = rootDir(user().dir, 'bin');
    symlinkSync(join(theirs, 'rs-agent'), join(bin, 'hop'));
    symlinkSync('hop', join(bin, 'rs-agent'));
    expect(binaryPathProblems(join(bin, 'rs-agent'))).toEqual([
      notRoot(theirs, `uid ${user().uid} (${user().name})`, '0755'),
    ]);
    expect(binaryPathProblems(bin)).toEqual([`${bin} is a directory, not a file`]);
    expect(binaryPathProblems(join(bin, 'missing'))).toEqual([]); // nothing there to run
  });

  it('the rs-agent of this checkout, a root-owned tree, is accepted', () => {
    expect(binaryPathProblems(CLI)).toEqual([]);
  });
});

describe('unitExecPath: a path as an Exec line takes it', () => {
  it.each([
    ['/usr/local/bin/rs-agent', '/usr/local/bin/rs-agent'],
    ['/opt/a%b/rs-agent', '/opt/a%%b/rs-agent'],
    ['/opt/a b/rs-agent', '"/opt/a b/rs-agent"'],
    ['/opt/$HOME/rs-agent', '/opt/$HOME/rs-agent'], // systemd expands no variable in the executable's path
    ['/opt/a"b/rs-agent', null],
    ['/opt/a\\b/rs-agent', null],
    ['/opt/a\nb/rs-agent', null],
    ['rs-agent', null],
  ])('%j → %j', (path, line) => {
    expect(unitExecPath(path)).toBe(line);
  });
});
