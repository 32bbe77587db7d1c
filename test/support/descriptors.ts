// This process's open kernel objects as /proc lists them: what a test compares before and after something is
// closed, independently of the product's own bookkeeping. Other threads of the process (the reader thread of an
// earlier test's watch, ending) may close theirs meanwhile: compare what is new, not the whole list.
import { readdirSync, readlinkSync } from 'node:fs';

export interface Descriptors {
  /** The sockets, as 'socket:[INODE]': an inode is never another socket's while this one is open. */
  sockets: string[];
  /** How many eventfds: they have no identity to tell one from another. */
  eventfds: number;
  /**
   * The network namespaces held open through /proc (a thread's own: 'net:[INODE]'), once per descriptor, sorted;
   * a named namespace opened through /run/netns reads as that path instead and is not among them.
   */
  namespaces: string[];
}

export function openDescriptors(): Descriptors {
  const out: Descriptors = { sockets: [], eventfds: 0, namespaces: [] };
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, closed once listed
    }
    if (target.startsWith('socket:')) out.sockets.push(target);
    else if (target === 'anon_inode:[eventfd]') out.eventfds++;
    else if (target.startsWith('net:')) out.namespaces.push(target);
  }
  out.namespaces.sort();
  return out;
}

/** The sockets of `now` that `before` did not have. */
export function newSockets(before: Descriptors, now: Descriptors = openDescriptors()): string[] {
  return now.sockets.filter((s) => !before.sockets.includes(s));
}
