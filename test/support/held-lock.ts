// A namespace's lock (`${STATE_DIR}/${key}_.lock`, flock(2)) held from outside the product: by flock(1), or by a
// process of ours stopped (SIGSTOP) at a moment it holds it. The oracle is the kernel's list of locks, /proc/locks,
// not anything the product says.
import { readFileSync, statSync } from 'node:fs';
import { defer } from './cleanup.js';
import { start, type Running } from './exec.js';
import { STATE_DIR } from './state.js';

/** The lock file of a namespace, by its state key (stateKey). */
export function lockFile(key: string): string {
  return `${STATE_DIR}/${key}_.lock`;
}

/** A process that holds an flock(2) on `path` until it is killed (or the test ends); its child does not hold it. */
export async function holdLock(path: string): Promise<Running> {
  const holder = start('flock', ['-o', path, '-c', 'echo held && exec sleep 60'], { timeoutMs: 60_000 });
  defer(() => holder.child.kill('SIGKILL'));
  while (!holder.stdout.includes('held')) {
    if (holder.child.exitCode !== null) throw new Error(`flock: ${holder.stderr}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return holder;
}

/** The pids holding an flock on the file at `path`, as /proc/locks lists them (its inode; blocked waiters left out). */
function flockHolders(path: string): number[] {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^\d+: FLOCK\s+ADVISORY\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
      return m && Number(m[2]) === inode ? [Number(m[1])] : [];
    });
}

function stopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

/**
 * Stops `pid` (SIGSTOP) at a moment it holds the lock on `path`: `provoke()` (started, not awaited) makes it take
 * the lock, the kernel's list of locks is read until it shows it as the holder, and it is stopped at once. Stopped
 * while it still holds it (the kernel's list says so after the stop), that is the moment; otherwise it is let go
 * on until it has let the lock go, and another try made. Resolves with the number of tries.
 */
export async function stopWhileHolding(
  pid: number,
  path: string,
  provoke: (attempt: number) => Promise<unknown>,
): Promise<number> {
  defer(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  });
  for (let attempt = 1; attempt <= 60; attempt++) {
    const provoking = provoke(attempt);
    // Synchronous reads, no await between seeing the holder and stopping it: nothing of this process runs between.
    const until = Date.now() + 2_000; // a hold missed (this process not scheduled meanwhile): try again
    while (Date.now() < until && !flockHolders(path).includes(pid));
    process.kill(pid, 'SIGSTOP');
    await provoking;
    while (!stopped(pid)) await new Promise((r) => setTimeout(r, 1));
    if (flockHolders(path).includes(pid)) return attempt;
    process.kill(pid, 'SIGCONT');
    while (flockHolders(path).includes(pid)) await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`pid ${pid} was never stopped while holding ${path}`);
}
