// /run/redirect-gateway: where every module keeps what it must remember between runs (tmpfs: gone at reboot,
// like the routes). Files are named by the namespace they belong to and the name (an interface's, or the empty
// one for the namespace's own files) with a suffix per kind: `<nsId>_<name><suffix>`.
// Synchronous file calls: the directory is a tmpfs, each call takes microseconds, and a trip through the
// libuv pool for each would cost more than the work (the redirect's start-up is on tincd's critical path).
import * as fs from 'node:fs';
import { RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';
import { listDirectory } from '../netlink/host.js';

export const STATE_DIR = '/run/redirect-gateway';

/** The mesh handoff's directories (one per tinc configuration), written by tinc's host scripts. */
export const MESH_DIR = `${STATE_DIR}/mesh`;

/** What a hook was told and could not do yet (src/redirect/intents.ts), a file per event. */
export const INTENT_DIR = `${STATE_DIR}/intents`;

/**
 * /run is shared by every namespace, and one interface name exists in many: a namespace's files are named by its
 * cookie, which the kernel never gives to another namespace until it reboots (and /run, a tmpfs, goes with the
 * reboot). Its inode number, the fallback on kernels without cookies (before 5.14), is given to the next
 * namespace made once this one is gone, whose files these would then seem to be.
 */
export function namespaceKey(nl: RouteSocket): string {
  if (nl.netnsCookie !== undefined) return nl.netnsCookie;
  const netns = nl.netns;
  const path = netns === undefined ? '/proc/self/ns/net' : netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  return `inode${fs.statSync(path).ino}`;
}

/** Every file of a namespace's starts so: `<nsId>_`. */
export function namespacePrefix(nsId: string): string {
  return `${nsId}_`;
}

/**
 * `<nsId>_<name><suffix>`. '.' is escaped too, so that no interface's name can end in another file's suffix;
 * the empty name, which no interface has, names the namespace's own files (its lock).
 */
export function statePath(nsId: string, name: string, suffix = '.json', dir = STATE_DIR): string {
  return `${dir}/${namespacePrefix(nsId)}${encodeURIComponent(name).replace(/\./g, '%2E')}${suffix}`;
}

/** Ours: this program never changes its user, and each process.geteuid() would be a system call. */
const EUID = process.geteuid?.();

/**
 * Whether a file was made by us or by root: anything else in the directory was planted by someone who could
 * write there (while it was writable by others), and is not believed (a follower's pid to signal, a held lock).
 */
export function isOurs(st: { uid: number }): boolean {
  return st.uid === 0 || st.uid === EUID;
}

/**
 * Creates the directory 0700, and refuses to work through a symbolic link, someone else's directory or one
 * others may write to: what it holds could have been planted by them. (Tightening 0755 to 0700 is safe: nobody
 * else could write there.)
 */
export function ensureDir(dir: string): void {
  let st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st === undefined) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    st = fs.lstatSync(dir);
  }
  if (!st.isDirectory() || st.uid !== EUID) {
    throw new RefusedError(`${dir} is not a directory of ours; refusing to keep state there`);
  }
  if (st.mode & 0o022) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new RefusedError(
      `${dir} is writable by others (mode ${mode}); refusing to keep state there: remove it, or make it 0700 and remove what others put in it`,
    );
  }
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

export async function ensureStateDir(): Promise<void> {
  ensureDir(STATE_DIR);
}

/**
 * The names in the state directory (or one of its directories), in name order, listed without following a link
 * at its name: a link planted there is no directory of ours, and lists as nothing; so does a directory that is
 * not there (the intents' until a hook records one).
 */
export function stateDirEntries(dir = STATE_DIR): string[] {
  return listDirectory(dir).sort();
}

/** A namespace's entries in `dir` (statePath's names): each name (an interface's), its kind (from its first '.'), its path. */
export function namespaceEntries(nsId: string, dir: string): { name: string; kind: string; path: string }[] {
  const prefix = namespacePrefix(nsId);
  return stateDirEntries(dir).flatMap((entry) => {
    if (!entry.startsWith(prefix)) return [];
    const dot = entry.indexOf('.', prefix.length);
    const name = dot < 0 ? undefined : decodedName(entry.slice(prefix.length, dot));
    return name === undefined ? [] : [{ name, kind: entry.slice(dot), path: `${dir}/${entry}` }];
  });
}

/** A name as statePath escaped it; undefined for a name no statePath made (a bad escape: a stray file). */
export function decodedName(escaped: string): string | undefined {
  try {
    return decodeURIComponent(escaped);
  } catch {
    return undefined;
  }
}

/** Removes whatever is at `path` in the state directory, without following a link; nothing there is fine. */
export function removeEntry(path: string): void {
  try {
    fs.unlinkSync(path); // a file or a link: all it ever is, but for a directory planted there
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fs.rmSync(path, { force: true, recursive: true });
  }
}

/**
 * Removes every file kept for the namespace: its states, peers, temporary files and lock. For a namespace about
 * to be deleted, with no redirect running in it.
 */
export async function removeNamespaceFiles(nsId: string): Promise<void> {
  const prefix = namespacePrefix(nsId);
  for (const dir of [STATE_DIR, INTENT_DIR])
    for (const name of stateDirEntries(dir)) if (name.startsWith(prefix)) removeEntry(`${dir}/${name}`);
}
