// Reading and writing the files under /run/redirect-gateway (dir.ts): never through a link, never half.
import * as fs from 'node:fs';
import { ensureDir, isOurs, removeEntry, STATE_DIR, stateDirEntries } from './dir.js';
import { listingOf } from './listing.js';

const { constants } = fs;

/** A file of ours is small; anything bigger is not one of ours. */
const MAX_BYTES = 1 << 20;

/**
 * The text of a file, or undefined when there is none that could be ours: never through a symbolic link
 * (O_NOFOLLOW), never blocking on a FIFO someone left there (O_NONBLOCK), and only from a regular file of a sane
 * size, made by us or root (isOurs). Whatever else is found there (a directory, a device, a huge file, a file
 * someone else planted) reads as "no file".
 */
export function readFileNoFollow(path: string): string | undefined {
  const listed = listingOf(path);
  if (listed && !listed.names.has(listed.name)) return undefined;
  let fd;
  try {
    fd = fs.openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_BYTES || !isOurs(st)) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The temporary files of earlier writers of `path` that died before their rename. */
function removeTemporaries(path: string): void {
  const listed = listingOf(path);
  const prefix = `${path.slice(STATE_DIR.length + 1)}.`;
  for (const n of listed ? [...listed.names] : stateDirEntries()) {
    if (n.startsWith(prefix) && /^\d+\.tmp$/.test(n.slice(prefix.length))) {
      removeEntry(`${STATE_DIR}/${n}`);
      listed?.names.delete(n);
    }
  }
}

/**
 * Write to a new file and rename it over the old one: a reader sees the old value or the new, never half.
 * The temporary file is created O_EXCL | O_NOFOLLOW, 0600, so no link planted at its name is followed; the
 * rename replaces whatever is at the final name (a planted symbolic link included) without following it.
 * Callers hold the namespace's lock (lock.ts), so any temporary file of this name still there was left by a
 * writer that died (a killed `up`) and is removed.
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const listed = listingOf(path);
  if (!listed) ensureDir(STATE_DIR); // else checked as the lock was taken
  removeTemporaries(path);
  const temp = `${path}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(value)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, path);
  } catch (e) {
    // Something that is not a file took the name (a directory): it is no file of ours; replace it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    removeEntry(path);
    fs.renameSync(temp, path);
  }
  listed?.names.add(listed.name);
}

/** Forgets a file (called under the namespace's lock, like writeJson), with any temporary file of its writers. */
export async function removeFile(path: string): Promise<void> {
  const listed = listingOf(path);
  if (!listed || listed.names.delete(listed.name)) removeEntry(path);
  removeTemporaries(path);
}
