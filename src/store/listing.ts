// A namespace's records (its `*.json` files under /run/redirect-gateway: states, peers, DNS, serve) as the directory
// held them when this process took the namespace's lock, kept up to date by this process's own writes and
// removals until it lets the lock go. Every writer of a record holds that lock (writeJson's rule), so meanwhile
// nobody else adds, replaces or removes one: one listing says which records exist (a missing one is never
// opened) and which temporary files a killed writer left, for the whole decision, where each read, write and
// removal would list or open again. Files written without the lock (a follower's, the lock files, the intents
// in their own directory) are never answered for here.
import { decodedName, namespacePrefix, STATE_DIR, stateDirEntries } from './dir.js';

const RECORD = '.json';
/** A record's name, or a temporary file of its writer (`<record>.<pid>.tmp`). */
const LISTED = /\.json(\.\d+\.tmp)?$/;

/** nsId -> its records' and temporaries' names in STATE_DIR, while this process holds the namespace's lock. */
const held = new Map<string, Set<string>>();

/** Lists the namespace's records; called with its lock just taken. */
export function listRecords(nsId: string): void {
  const prefix = namespacePrefix(nsId);
  held.set(nsId, new Set(stateDirEntries().filter((n) => n.startsWith(prefix) && LISTED.test(n))));
}

/** Forgets the listing; called before the lock is let go. */
export function forgetRecords(nsId: string): void {
  held.delete(nsId);
}

/**
 * The listing that answers for `path` (a record, or a temporary file of one, of a namespace whose lock this
 * process holds) and its name there; undefined for any other path.
 */
export function listingOf(path: string): { names: Set<string>; name: string } | undefined {
  if (held.size === 0 || !path.startsWith(`${STATE_DIR}/`)) return undefined;
  const name = path.slice(STATE_DIR.length + 1);
  const end = name.indexOf('_');
  const names = end > 0 && !name.includes('/') && LISTED.test(name) ? held.get(name.slice(0, end)) : undefined;
  return names && { names, name };
}

/**
 * The names (interfaces) that have a file of this kind in the namespace. A name is escaped without a '.', so
 * a file's kind is everything from its first '.': `vpn.json` is a state, `vpn.peers.json` is not.
 */
export function namesWithSuffix(nsId: string, suffix: string): string[] {
  const prefix = namespacePrefix(nsId);
  const listed = suffix.endsWith(RECORD) ? held.get(nsId) : undefined;
  return (listed ? [...listed] : stateDirEntries())
    .filter(
      (n) => n.startsWith(prefix) && n.indexOf('.', prefix.length) === n.length - suffix.length && n.endsWith(suffix),
    )
    .map((n) => decodedName(n.slice(prefix.length, -suffix.length)))
    .filter((name): name is string => name !== undefined && name !== '');
}
