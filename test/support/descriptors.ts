// This process's open kernel objects as /proc lists them: what a test compares before and after something is
// closed, independently of the product's own bookkeeping.
import { readdirSync, readlinkSync } from 'node:fs';

/** The sockets and eventfds this process holds ('socket:[INODE]', 'anon_inode:[eventfd]'), sorted. */
export function socketsAndEventfds(): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, closed once listed
    }
    if (target.startsWith('socket:') || target === 'anon_inode:[eventfd]') targets.push(target);
  }
  return targets.sort();
}
