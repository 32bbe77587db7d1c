// One `up`, `down` or peer change at a time per network namespace, across processes. The lock is flock(2): the
// kernel drops it when its holder dies, so a killed run never leaves a stale lock behind.
//
// Per namespace, not per interface: a namespace has one redirect (a second interface's `up` is refused while
// another's state is recorded), and that refusal holds only if no other interface's `up` or `down` runs between
// its look at the state files and its changes. Serialized, every operation sees the routes and the state files
// together. (An operation takes some milliseconds; a namespace has a few VPN interfaces at most.)
//
// The lock file is opened O_NOFOLLOW and only ever as a regular file of ours (dir.ts's isOurs). Anything else
// found at its name (a symbolic link, a FIFO, a directory, another user's file: never made by us) is removed
// and the lock file made anew. Two rules keep
// that from breaking the mutual exclusion:
//   - a lock file (a regular file) is never removed, so two processes always lock the same inode;
//   - the removal of a foreign entry happens while holding the state directory's repair lock, so that one
//     process cannot remove the lock file another made a moment before, after both saw the foreign entry.
// A lock is taken only once its descriptor is proved to be the file at the lock's name (same device and inode).
import { fstatSync, lstatSync, rmSync, type Stats } from 'node:fs';
import { RefusedError } from '../errors.js';
import { tryLock, unlock } from '../netlink/host.js';
import { sleep } from '../sleep.js';
import { ensureDir, isOurs, STATE_DIR, statePath } from './dir.js';
import { forgetRecords, listRecords } from './listing.js';

const WAIT_MS = 10_000;
const POLL_MS = 2;
const REPAIR_LOCK = `${STATE_DIR}/repair.lock`;

/** What is at `path`, not following a link; undefined when nothing is. (Synchronous: /run is a tmpfs.) */
function lstatOrUndefined(path: string) {
  return lstatSync(path, { throwIfNoEntry: false });
}

function isLockFile(st: Stats): boolean {
  return st.isFile() && isOurs(st);
}

/** lstatOrUndefined, with an error taken as nothing there. */
function lstatQuietly(path: string) {
  try {
    return lstatOrUndefined(path);
  } catch {
    return undefined;
  }
}

/** Whether something that is no lock file of ours is at `path` (an error reading it says nothing). */
function isForeign(path: string): boolean {
  const st = lstatQuietly(path);
  return st !== undefined && !isLockFile(st);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * tryLock, but only ever on a regular file of ours: the descriptor of the locked file at `path`, -1 while another
 * process holds it, or 'foreign' when something else is at `path`.
 */
export function tryLockFile(path: string): number | 'foreign' {
  const seen = lstatOrUndefined(path);
  if (seen && !isLockFile(seen)) return 'foreign';
  let fd: number;
  try {
    fd = tryLock(path);
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    // ELOOP: a symbolic link (O_NOFOLLOW); EISDIR, ENXIO, ...: it changed since the lstat above.
    if (errno !== undefined && isForeign(path)) return 'foreign';
    throw new RefusedError(`cannot lock ${path}: ${describe(e)}`);
  }
  if (fd < 0) return fd;
  // The file we locked must still be the one at the name (not one removed and replaced meanwhile).
  const locked = fstatSync(fd);
  const now = lstatQuietly(path);
  if (!isLockFile(locked) || !now || now.ino !== locked.ino || now.dev !== locked.dev) {
    unlock(fd);
    return -1;
  }
  return fd;
}

/** Removes a foreign entry at a lock's name, under the repair lock; a lock file found there is left alone. */
async function repair(path: string, deadline: number): Promise<void> {
  let fd: number | 'foreign';
  while ((fd = tryLockFile(REPAIR_LOCK)) === -1) {
    if (Date.now() > deadline) throw new RefusedError(`another redirect-gateway is still repairing ${STATE_DIR}`);
    await sleep(POLL_MS);
  }
  if (fd === 'foreign') {
    throw new RefusedError(`${REPAIR_LOCK} is not a regular file of ours: remove it (someone else put it there)`);
  }
  try {
    const seen = lstatOrUndefined(path);
    if (seen && !isLockFile(seen)) rmSync(path, { force: true, recursive: true });
  } finally {
    unlock(fd);
  }
}

/**
 * One attempt at the lock on `path`: its descriptor, or -1 while another process holds it. A foreign entry at
 * its name is removed first (then -1: try again).
 */
export async function tryLockOurs(path: string, deadline: number): Promise<number> {
  const got = tryLockFile(path);
  if (got !== 'foreign') return got;
  await repair(path, deadline);
  return -1;
}

/** The namespace's lock file: `<nsId>_.lock` (the empty interface name, which no interface has). */
export function lockPath(nsId: string): string {
  return statePath(nsId, '', '.lock');
}

/**
 * Takes the namespace's lock, waiting for it up to 10 s, and lists its records until it is released (listing.ts);
 * `iface` (what the work is about) is for the message only.
 */
export async function lockNamespace(nsId: string, iface: string): Promise<{ release(): void }> {
  ensureDir(STATE_DIR);
  const path = lockPath(nsId);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const fd = await tryLockOurs(path, deadline);
    if (fd >= 0) {
      listRecords(nsId);
      return {
        release() {
          forgetRecords(nsId);
          unlock(fd);
        },
      };
    }
    if (Date.now() > deadline) {
      throw new RefusedError(
        `another redirect-gateway is still working in this network namespace (waited ${WAIT_MS / 1000} s to change ${iface})`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Runs `work` holding the namespace's lock (lockNamespace). */
export async function withLock<T>(nsId: string, iface: string, work: () => Promise<T>): Promise<T> {
  const held = await lockNamespace(nsId, iface);
  try {
    return await work();
  } finally {
    held.release();
  }
}
