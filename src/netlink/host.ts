// The addon's calls that are not netlink: an flock(2) lock file, a directory listed without following a link,
// and syslog(3). They live in the addon so that the product needs no other native module; this is their typed
// face for store/ (the lock, the listings) and cli/ (the hook's log).
import { addon } from './native.js';

/** Opens `path` (O_NOFOLLOW, created 0600) and locks it: its descriptor, or -1 while another process holds it. */
export function tryLock(path: string): number {
  return addon.tryLock(path);
}

/** Releases the lock and closes its descriptor. */
export function unlock(fd: number): void {
  addon.unlock(fd);
}

/** The names in the directory at `path` (O_NOFOLLOW), in no order: none when no directory is there. */
export function listDirectory(path: string): string[] {
  return addon.listDirectory(path);
}

export const LOG_ERR = 3;
export const LOG_INFO = 6;

/** One message to syslog, facility daemon, tag redirect-gateway. */
export function syslog(priority: typeof LOG_ERR | typeof LOG_INFO, message: string): void {
  addon.syslog(priority, message);
}
