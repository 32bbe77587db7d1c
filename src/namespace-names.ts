// A follower must not outlive its network namespace: its socket in it keeps the namespace, and the devices in it,
// alive after `ip netns del`. A named namespace's names are its entries under /run/netns (bind mounts of its nsfs
// file: the same device and inode); the follower ends when the last of them is gone. A namespace with no name
// there (the root namespace, a container's) is never "deleted" this way, and nothing is watched.
import { readdirSync, statSync, watch } from 'node:fs';

export const NETNS_DIR = '/run/netns';

export interface NamespaceId {
  dev: number;
  ino: number;
}

/** The namespace of a name under /run/netns, or of this process (its /proc/self/ns/net). */
export function namespaceId(netns?: string): NamespaceId {
  const { dev, ino } = statSync(netns === undefined ? '/proc/self/ns/net' : `${NETNS_DIR}/${netns}`);
  return { dev, ino };
}

/** The names under /run/netns that stand for the namespace now; undefined when they cannot be read. */
export function namesOf(id: NamespaceId): string[] | undefined {
  try {
    return readdirSync(NETNS_DIR).filter((name) => {
      const s = statSync(`${NETNS_DIR}/${name}`, { throwIfNoEntry: false });
      return s !== undefined && s.dev === id.dev && s.ino === id.ino;
    });
  } catch {
    return undefined; // no /run/netns, or an entry that cannot be looked at: nothing is concluded from it
  }
}

export interface NamespaceWatch {
  /** Settles once the namespace had a name under /run/netns and has none left. */
  readonly deleted: Promise<void>;
  close(): void;
}

/** Watches /run/netns (inotify, no timer) for the namespace's last name to go. */
export function watchNamespaceNames(id: NamespaceId): NamespaceWatch {
  if (!namesOf(id)?.length) return { deleted: new Promise<void>(() => undefined), close: () => undefined };
  let resolve: () => void = () => undefined;
  const deleted = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (namesOf(id)?.length !== 0) return;
    watcher.close();
    resolve();
  };
  const watcher = watch(NETNS_DIR, { persistent: false }, check);
  watcher.on('error', () => watcher.close());
  check(); // a name that went before the watch began
  return { deleted, close: () => watcher.close() };
}
