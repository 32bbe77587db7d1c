// The follower's file, `<nsId>_<iface>.follower` under /run/redirect-gateway: locked (flock) by the running
// follower for as long as it lives, so the kernel itself says whether one runs (a killed follower's lock goes
// with it: its file is stale, never trusted), and holding its pid (and tincd's, when the hook started it).
import * as fs from 'node:fs';
import { ensureStateDir, readFileNoFollow, statePath, tryLockFile, tryLockOurs, unlock } from '../store/index.js';
import { sleep } from '../sleep.js';

const SUFFIX = '.follower';

export interface FollowerInfo {
  pid: number;
  /** The tincd that ran the hook which started this follower (for a reconnect signal). */
  tincd?: number;
}

function followerPath(nsId: string, iface: string): string {
  return statePath(nsId, iface, SUFFIX);
}

/**
 * The follower's lock tried once: its descriptor, -1 while a follower holds it, undefined when the file is none of
 * ours (store's lock takes only a regular file of ours).
 */
function probe(path: string): number | undefined {
  try {
    const fd = tryLockFile(path);
    return fd === 'foreign' ? undefined : fd;
  } catch {
    return undefined;
  }
}

function readInfo(path: string): FollowerInfo | undefined {
  const text = readFileNoFollow(path);
  try {
    const value = (text === undefined ? undefined : JSON.parse(text)) as FollowerInfo | undefined;
    return value !== undefined && Number.isInteger(value?.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The running follower of the redirect on `iface`, or undefined when none runs (no file, or nobody holds it). */
export function runningFollower(nsId: string, iface: string): FollowerInfo | undefined {
  const path = followerPath(nsId, iface);
  const fd = fs.existsSync(path) ? probe(path) : undefined;
  if (fd === undefined) return undefined;
  if (fd >= 0) {
    unlock(fd); // a stale file: its follower is dead
    return undefined;
  }
  return readInfo(path);
}

/**
 * The follower that died without ending (killed, crashed): its file still names it, and nobody holds it. (A
 * follower that ends empties its file; `stopFollower` forgets a dead one.)
 */
export function deadFollower(nsId: string, iface: string): FollowerInfo | undefined {
  const path = followerPath(nsId, iface);
  const info = fs.existsSync(path) ? readInfo(path) : undefined;
  const fd = info ? probe(path) : undefined;
  if (fd === undefined || fd < 0) return undefined; // none, or it runs
  unlock(fd);
  return info;
}

/** Empties the file of a follower that died, if nobody holds it. */
function forgetDead(nsId: string, iface: string): void {
  const path = followerPath(nsId, iface);
  const fd = fs.existsSync(path) ? probe(path) : undefined;
  if (fd === undefined || fd < 0) return;
  fs.ftruncateSync(fd);
  unlock(fd);
}

/**
 * Makes this process the follower of `iface`: its lock taken and its pid written. Undefined when another
 * follower holds it. (Retried briefly: a `status` may hold the lock for a moment to see whether one runs.)
 * The returned function releases it.
 */
export async function claimFollower(
  nsId: string,
  iface: string,
  info: FollowerInfo,
): Promise<(() => void) | undefined> {
  await ensureStateDir();
  const path = followerPath(nsId, iface);
  const deadline = Date.now() + 1000;
  for (let attempt = 0; ; attempt++) {
    const fd = await tryLockOurs(path, deadline);
    if (fd >= 0) {
      fs.ftruncateSync(fd);
      fs.writeSync(fd, `${JSON.stringify(info)}\n`, 0);
      return () => {
        fs.ftruncateSync(fd);
        unlock(fd);
      };
    }
    if (attempt === 20 || runningFollower(nsId, iface)) return undefined;
    await sleep(5);
  }
}

/** Ends the running follower of `iface` (SIGTERM) and waits until it is gone; its pid, or undefined if none ran. */
export async function stopFollower(nsId: string, iface: string, waitMs = 3000): Promise<number | undefined> {
  const running = runningFollower(nsId, iface);
  if (!running) {
    forgetDead(nsId, iface);
    return undefined;
  }
  try {
    process.kill(running.pid, 'SIGTERM');
  } catch {
    return undefined;
  }
  const deadline = Date.now() + waitMs;
  while (runningFollower(nsId, iface) && Date.now() < deadline) await sleep(10);
  if (runningFollower(nsId, iface)) {
    try {
      process.kill(running.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return running.pid;
}
