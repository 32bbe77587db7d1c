// One `up` or `down` at a time per interface and namespace, across processes. The lock is flock(2): the
// kernel drops it when its holder dies, so a killed run never leaves a stale lock behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { RefusedError } from '../errors.js';
import { addon } from '../netlink/native.js';
import { ensureStateDir, statePath } from './state.js';

const WAIT_MS = 10_000;
const POLL_MS = 2;

export async function withLock<T>(nsId: string, iface: string, work: () => Promise<T>): Promise<T> {
  await ensureStateDir();
  const path = statePath(nsId, iface, '.lock');
  const deadline = Date.now() + WAIT_MS;
  let fd: number;
  while ((fd = addon.tryLock(path)) < 0) {
    if (Date.now() > deadline) throw new RefusedError(`another redirect-gateway is still working on ${iface}`);
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    addon.unlock(fd);
  }
}
