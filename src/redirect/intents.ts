// What a hook was told (tinc's SERVER-up and -down, host-up and -down, tinc-up and -down), kept until it is done.
// tincd waits for its scripts, so a hook gives up when the namespace's lock is not free in time (another process
// holds it: a follower reacting, stopped, slow); what tincd told it must not be lost with it. So a hook first
// records its intent, a file of its own under /run/redirect-gateway/intents (`<ns>_<iface>.<seq>.json`, written
// through src/store, made only by root), then takes the lock and does it. Whoever holds the namespace's lock
// (takeLock: `up`, `down`, the peer changes, the follower's reactions, the next hook) first does the
// intents left there, and again before it lets the lock go (those left while it held it).
//   - The writer holds a lock beside its intent (`.<seq>.lock`, flock, taken before the intent is written) for as
//     long as it works on it: others leave it alone, so a hook does and reports its own change, its errors
//     included. Giving up, it lets it go and touches the intent: a follower watching the directory (inotify)
//     wakes and does it at once.
//   - Per interface the newest of the redirect's events wins (a SERVER-down after a lost SERVER-up is all that
//     counts), per mesh node the newest of its host-up/-down; the older are dropped. The sequence is the
//     monotonic clock's nanoseconds (one tincd runs its scripts one at a time) and the writer's pid.
import * as fs from 'node:fs';
import { RefusedError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import type { RouteSocket } from '../netlink/index.js';
import {
  ensureDir,
  ensureStateDir,
  INTENT_DIR,
  lockNamespace,
  namespaceEntries,
  readFileNoFollow,
  removeFile,
  STATE_DIR,
  statePath,
  tryLockFile,
  tryLockOurs,
  unlock,
  writeJson,
} from '../store/index.js';
import { changePeersIn, liftIn, redirectToIn, type RedirectResult } from './changes.js';
import { checkCommon, checkPeerAddress, checkUp, type UpOptions } from './options.js';
import { takeSnapshot } from './state.js';

/** The options of `up` an intent keeps: all but where to work (whoever fulfils it works through its own socket). */
export type IntentOptions = Omit<UpOptions, 'netns' | 'timeoutMs' | 'socket'>;

/** A change asked for by tinc's event: up or arm (tinc-up), suspend (down, tinc-down), a mesh peer up or down. */
export type Intent =
  | { change: 'up' | 'arm'; iface: string; remote: string; options: IntentOptions }
  | { change: 'suspend'; iface: string }
  | { change: 'peer'; iface: string; node: string; address: string | null };

export interface Fulfilled {
  seq: string;
  intent: Intent;
  /** What it changed; absent when it failed (error) or a newer event of the same made it moot (superseded). */
  result?: RedirectResult;
  error?: unknown;
  superseded?: boolean;
}

const KIND = /^\.(\d{20}-\d+)\.json$/;
/** How long a lock holder without deadlines of its own waits to repair an intent's lock (store's repair lock). */
const REPAIR_MS = 1000;

/** An intent, as tincd's words say it (for `status` and the logs). */
export function describeIntent(intent: Intent): string {
  switch (intent.change) {
    case 'up':
    case 'arm':
      return `${intent.change} ${intent.remote}`;
    case 'suspend':
      return 'down';
    case 'peer':
      return intent.address === null ? `host-down ${intent.node}` : `host-up ${intent.node} ${intent.address}`;
  }
}

/** What a newer intent replaces: the redirect of the interface, or one mesh node's peer. */
function subject(intent: Intent): string {
  return intent.change === 'peer' ? `${intent.iface} ${intent.node}` : intent.iface;
}

function isIntent(value: unknown, iface: string): value is Intent {
  const i = value as Intent;
  if (typeof i !== 'object' || i === null || i.iface !== iface) return false;
  switch (i.change) {
    case 'up':
    case 'arm':
      return typeof i.remote === 'string' && typeof i.options === 'object' && i.options !== null;
    case 'suspend':
      return true;
    case 'peer':
      return (
        typeof i.node === 'string' && /^\w+$/.test(i.node) && (i.address === null || typeof i.address === 'string')
      );
    default:
      return false;
  }
}

/** An intent recorded, held by its writer until it is done (fulfilOwn) or left to others (leave). */
export interface HeldIntent {
  readonly seq: string;
  /** Lets it go; one still there (not done: the hook gives up) is touched, and a follower watching wakes. */
  leave(): void;
}

/** The lock its writer holds on an intent while it works on it: beside it, `.<seq>.lock`. */
function lockOf(path: string): string {
  return path.replace(/\.json$/, '.lock');
}

/**
 * Records an intent, held by this process (its lock taken before the intent has its name: nobody else ever finds
 * it unheld while we work on it).
 */
export async function recordIntent(nsId: string, intent: Intent): Promise<HeldIntent> {
  await ensureStateDir();
  ensureDir(INTENT_DIR);
  const seq = `${process.hrtime.bigint().toString().padStart(20, '0')}-${process.pid}`;
  const path = statePath(nsId, intent.iface, `.${seq}.json`, INTENT_DIR);
  const fd = tryLockFile(lockOf(path)); // a new name of ours: never held by another
  if (fd === 'foreign' || fd < 0) throw new RefusedError(`cannot lock ${lockOf(path)}: not a lock file of ours`);
  try {
    await writeJson(path, intent);
  } catch (e) {
    await removeFile(lockOf(path));
    unlock(fd);
    throw e;
  }
  let held = true;
  return {
    seq,
    leave() {
      if (!held) return;
      held = false;
      unlock(fd);
      const now = new Date();
      try {
        fs.utimesSync(path, now, now);
      } catch {
        // done and gone
      }
    },
  };
}

interface Recorded {
  seq: string;
  path: string;
  iface: string;
  intent?: Intent;
}

/** The intent in a file, or undefined for a file that is none (a stray one, or one being removed). */
function readIntent(path: string, iface: string): Intent | undefined {
  try {
    const value: unknown = JSON.parse(readFileNoFollow(path) ?? '');
    return isIntent(value, iface) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The namespace's intent files, oldest first. */
function recorded(nsId: string): Recorded[] {
  return namespaceEntries(nsId, INTENT_DIR)
    .flatMap(({ name, kind, path }) => {
      const seq = KIND.exec(kind)?.[1];
      return seq === undefined ? [] : [{ seq, path, iface: name, intent: readIntent(path, name) }];
    })
    .sort((a, b) => (a.seq < b.seq ? -1 : 1));
}

/** The intents left undone in the namespace (for `status`), oldest first. */
export function pendingIntents(nsId: string): Intent[] {
  return recorded(nsId).flatMap((r) => (r.intent ? [r.intent] : []));
}

/** Whether the namespace has intent files (no file read). */
function hasIntents(nsId: string): boolean {
  return namespaceEntries(nsId, INTENT_DIR).some((e) => KIND.test(e.kind));
}

/** How a lock holder does the intents: `own`, the one this process holds (its own); `timeoutMs`, its deadlines. */
export interface FulfilOptions {
  own?: { seq: string };
  timeoutMs?: number;
}

async function perform(nl: RouteSocket, nsId: string, intent: Intent, timeoutMs?: number): Promise<RedirectResult> {
  // The lock holder's deadlines, not the writer's: a hook holding it must be done within its own.
  const common = checkCommon({ socket: nl, timeoutMs });
  const iface = checkInterfaceName(intent.iface);
  const snap = takeSnapshot(nl, nsId, iface);
  switch (intent.change) {
    case 'up':
    case 'arm': {
      const o = checkUp(iface, intent.remote, { ...intent.options, socket: nl, timeoutMs });
      return redirectToIn(nl, snap, { ...o, suspended: intent.change === 'arm' });
    }
    case 'suspend':
      return liftIn(nl, snap, common, true);
    case 'peer': {
      const { node, address } = intent;
      const peer = address === null ? [] : [{ node, address: checkPeerAddress(address, 'peer address').text }];
      const update = (peers: { node: string; address: string }[]) => [...peers.filter((p) => p.node !== node), ...peer];
      return changePeersIn(nl, snap, common, update, peer.length > 0);
    }
  }
}

/**
 * Does the namespace's intents (the caller holds its lock): the newest of each subject, oldest first; the older are
 * dropped, and so are stray files. One held by another process (its writer, still at it) is left to it, and what it
 * supersedes is dropped.
 */
export async function fulfilPending(
  nl: RouteSocket,
  nsId: string,
  { own, timeoutMs }: FulfilOptions = {},
): Promise<Fulfilled[]> {
  const all = recorded(nsId);
  const newest = new Map(all.flatMap((r) => (r.intent ? [[subject(r.intent), r.seq] as const] : [])));
  const done: Fulfilled[] = [];
  for (const r of all) {
    const lock = lockOf(r.path);
    // -1: its writer is at it (or something not ours was at its lock's name, now removed: done next time).
    const fd = r.seq === own?.seq ? undefined : await tryLockOurs(lock, Date.now() + (timeoutMs ?? REPAIR_MS));
    if (fd === -1) continue;
    try {
      const seq = r.seq;
      // Read again under its lock: done and removed by its writer meanwhile, it is none.
      const intent = fd === undefined ? r.intent : readIntent(r.path, r.iface);
      if (intent && newest.get(subject(intent)) !== seq) done.push({ seq, intent, superseded: true });
      else if (intent) {
        const outcome = await perform(nl, nsId, intent, timeoutMs).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        done.push({ seq, intent, ...outcome });
      }
      await removeFile(r.path);
      await removeFile(lock);
    } finally {
      if (fd !== undefined) unlock(fd);
    }
  }
  return done;
}

/** What a lock holder is told of the intents it did (`report`), and its deadlines. */
export interface LockOptions {
  report?: (done: Fulfilled[]) => void;
  timeoutMs?: number;
}

/**
 * The namespace's lock for the redirect: taken, and the intents left in the namespace done first (they are older
 * than what the holder came for); its release does those left meanwhile, then lets it go. `report` is told what
 * was done.
 */
export async function takeLock(
  nl: RouteSocket,
  nsId: string,
  iface: string,
  { report = () => undefined, timeoutMs }: LockOptions = {},
): Promise<{ release(): Promise<void> }> {
  const held = await lockNamespace(nsId, iface);
  const fulfil = async () => report(await fulfilPending(nl, nsId, { timeoutMs }));
  try {
    await fulfil();
  } catch (e) {
    held.release();
    throw e;
  }
  return {
    async release() {
      try {
        await fulfil();
      } finally {
        held.release();
      }
    },
  };
}

/** `work` holding the namespace's lock (takeLock). */
export async function withIntentsLock<T>(
  nl: RouteSocket,
  nsId: string,
  iface: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = await takeLock(nl, nsId, iface, options);
  try {
    return await work();
  } finally {
    await held.release();
  }
}

/**
 * Calls `wake` whenever an intent of the namespace is left by its writer (inotify: no timers; its writer touches
 * it, a 'change'), and at once when there are some. (One that appears is its writer's to do: not woken for.)
 */
export function watchIntents(nsId: string, wake: () => void): { close(): void } {
  ensureDir(STATE_DIR);
  ensureDir(INTENT_DIR);
  const watcher = fs.watch(INTENT_DIR, (type, name) => {
    if (type === 'change' && name?.endsWith('.json') && hasIntents(nsId)) wake();
  });
  if (hasIntents(nsId)) wake();
  return watcher;
}
