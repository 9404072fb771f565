import { closeSync, fstatSync, statSync } from 'node:fs';
import { LineChild } from '../system/line-child.js';
import { flockOn, openLockFile, writeHolder } from './flock.js';
import {
  acquireLock,
  DEFAULT_LOCK_WAIT_MS,
  heldError,
  lockPath,
  removeLeftovers,
  type Lock,
  type LockOptions,
} from './lock.js';
import { ensureStateDir } from './state-file.js';

// The daemon's state-dir lock without a process per pass. The same flock(2) on
// <state-dir>/lock as acquireLock's, on one open file description the daemon keeps open
// between passes: a long-lived helper holding it as its fd 3 locks and unlocks it when asked
// (util-linux flock cannot unlock and lock again, and node has no flock; perl can, and
// perl-base is essential on Debian). The lock stays with the description, so every command
// given it as fd 3 (the long-lived `ip`, ip-session.ts) keeps a pass's lock held after a
// killed daemon until it has finished, as a command of acquireLock's does: the helper exits
// at the end of its input without unlocking.
//
// Only an uncontended lock is taken by the helper; when another process holds it, util-linux
// flock waits for it on the same description, with acquireLock's wait, cancellation and
// messages. Without perl, or when the helper fails, a pass takes acquireLock's lock instead.
const HELPER = [
  'perl',
  '-e',
  'use Fcntl qw(:flock); open(my $l, "<&=", 3) or exit 2; $| = 1;' +
    ' while (sysread(STDIN, my $c, 1)) {' +
    ' if ($c eq "l") { print(flock($l, LOCK_EX | LOCK_NB) ? "y\\n" : $!{EWOULDBLOCK} ? "n\\n" : exit 3) }' +
    ' elsif ($c eq "u") { flock($l, LOCK_UN) or exit 3; print "u\\n" } }',
];
const HELPER_TIMEOUT_MS = 5000;

export class PassLock {
  private fd: number | null = null;
  private helper: LineChild | null = null;
  private unavailable = false;
  // Called when the descriptor is closed: whoever holds it as fd 3 must let it go too.
  private readonly dropped: (() => void)[] = [];

  constructor(private readonly stateDir: string) {}

  // The descriptor a pass's commands get as fd 3 while it holds this lock, or null.
  get descriptor(): number | null {
    return this.fd;
  }

  onDrop(callback: () => void): void {
    this.dropped.push(callback);
  }

  async acquire(options: LockOptions = {}): Promise<Lock> {
    if (options.signal?.aborted) return acquireLock(this.stateDir, options);
    ensureStateDir(this.stateDir);
    const path = lockPath(this.stateDir);
    const open = !this.unavailable && this.ensureOpen(path);
    const helper = this.helper;
    if (!open || helper === null || this.fd === null) return acquireLock(this.stateDir, options);
    const fd = this.fd;
    let answer: string[];
    try {
      answer = await helper.request(Buffer.from('l'), (lines) => lines.length > 0, HELPER_TIMEOUT_MS);
    } catch {
      this.drop();
      return acquireLock(this.stateDir, options);
    }
    if (answer[0] !== 'y') {
      if (answer[0] !== 'n') {
        this.drop();
        return acquireLock(this.stateDir, options);
      }
      const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
      const taken = await flockOn(fd, path, { waitMs, signal: options.signal, what: 'lock' });
      if ('heldBy' in taken) throw heldError(path, taken.heldBy, waitMs);
    } else {
      try {
        writeHolder(fd, path, 'lock');
      } catch (error) {
        this.unlock();
        throw error;
      }
    }
    removeLeftovers(this.stateDir);
    let held = true;
    return {
      fd,
      release: () => {
        if (held) this.unlock();
        held = false;
      },
    };
  }

  // Lets go of everything: the helper, the descriptor (a lock on it goes with it).
  close(): void {
    this.drop();
  }

  // Opens the lock file and starts the helper, unless they are open on the file at path
  // (one replaced since, say by a removed state dir, is not the lock others take).
  private ensureOpen(path: string): boolean {
    if (this.fd !== null && this.helper?.alive && sameFile(this.fd, path)) return true;
    this.drop();
    this.fd = openLockFile(path, 'lock');
    this.helper = new LineChild({ argv: HELPER, fd3: this.fd, name: 'the lock helper (perl)' });
    return true;
  }

  private unlock(): void {
    const helper = this.helper;
    if (helper === null) return;
    // Answered before the next request is read: the next pass's lock waits for it.
    helper
      .request(Buffer.from('u'), (lines) => lines.length > 0, HELPER_TIMEOUT_MS)
      .then(
        (answer) => {
          if (answer[0] !== 'u') this.drop();
        },
        () => this.drop(),
      );
  }

  // A helper that could not run at all (no perl): the classic lock from now on.
  private drop(): void {
    const helper = this.helper;
    if (helper !== null && !helper.alive && this.fd !== null && !helper.pid) this.unavailable = true;
    this.helper = null;
    helper?.stop();
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      for (const callback of this.dropped) callback();
    }
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch {
    return false;
  }
}
