// The follower: keeps a redirect right while the network changes. One loop around the same core as `up`:
// event -> "can it concern the redirect?" (relevance.ts, no lookup) -> the reconcile of `up`, under the lock,
// from what the state file says now (exact lookups, no dumps). Events that arrive together make one reaction.
// Idle it waits on the watch socket: no timers. What it does not do:
//   - no state file (the redirect is down, or tinc's SERVER-down ran while it reconnects): nothing to keep;
//   - the VPN interface is gone or down: nothing (the kernel took its routes); when it is back and up, the
//     redirect is made again, as the hooks would;
//   - no path to the server outside the VPN, at its start too: nothing (reconcile refuses; the exception is never
//     replaced by a route through the VPN and the half-routes stay as they are); the next relevant event tries again.
// An address gone (a roam) also closes the VPN daemon's connections bound to it, and the path to the server moved
// to another gateway (a roam that kept the address) its connections to the server (stale-connections.ts).
import { RefusedError } from '../errors.js';
import { describeChange, type Change, type EventStream, type SocketInfo } from '../netlink/index.js';
import { checkUp, socketOf, type UpOptions } from './options.js';
import { redirectIn } from './changes.js';
import { readPeers, readState, takeSnapshot, upOptionsOf } from './state.js';
import { Relevance } from './relevance.js';
import { askToReconnect, closeConnectionsToServer, closeStaleConnections, pathOutside } from './stale-connections.js';
import { describeIntent, watchIntents, withIntentsLock, type Fulfilled } from './intents.js';

export interface FollowOptions extends UpOptions {
  /** Each reaction, as lines such as `vpn: replace 198.51.100.10/32 via 192.168.2.1 dev eth0` (none when idle). */
  log?: (line: string) => void;
  /** The tincd whose hook started it: only its connections are closed after a roam, and it is told to retry. */
  tincd?: number;
}

export interface Follower {
  readonly iface: string;
  /** Ends it: its watch, and its socket unless one was given. Resolves once a reaction in progress is done. */
  close(): Promise<void>;
  /** Settles when it stops following: after close(), or rejected when its watch failed. */
  readonly ended: Promise<void>;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Makes the redirect as `up` does, then keeps it right until close(). */
export async function follow(iface: string, remote: string, options: FollowOptions = {}): Promise<Follower> {
  const o = checkUp(iface, remote, options);
  const log = options.log ?? (() => undefined);
  const { nl, nsId, close: closeSocket } = await socketOf(o);
  let events: EventStream | undefined;
  // Its own redirect not made yet (refused at its start, before any state recorded it): made by a reaction.
  let unmade = false;
  let relevance: Relevance;
  let closed = false;
  try {
    // Watching (and narrowed) before the first reconcile: nothing that changes meanwhile is missed.
    events = nl.watch({ family: o.families.length === 1 ? o.families[0] : undefined });
    relevance = await watchedNow(events);
    // A refusal (no path to the server outside the VPN yet: a network manager reconfiguring the uplink, a roam)
    // is waited out as a reaction's is: the next relevant event tries again.
    report(
      await withIntentsLock(nl, nsId, o.iface, () => redirectIn(nl, takeSnapshot(nl, nsId, o.iface), o), {
        report: reportIntents,
        timeoutMs: o.timeoutMs,
      }).then(
        (made) => made.changes,
        (e: unknown) => {
          if (!(e instanceof RefusedError)) throw e;
          log(`${o.iface}: nothing changed: ${describe(e)}`);
          unmade = true;
          return undefined;
        },
      ),
    );
  } catch (e) {
    events?.close();
    closeSocket();
    throw e;
  }

  let pending = false;
  let addressGone = false;
  let reconnect = false;
  // The last path outside the VPN the server's packets took: a roam to another gateway moves it.
  let lastPath: { server: string; path: string } | undefined;
  let reacting: Promise<void> | undefined;

  function report(changes: Change[] | undefined): void {
    for (const change of changes ?? []) log(`${o.iface}: ${describeChange(change)}`);
  }

  /** What the hooks left (intents.ts) and a reaction did. */
  function reportIntents(done: Fulfilled[]): void {
    for (const { intent, result, error, superseded } of done) {
      const what = `${intent.iface}: ${describeIntent(intent)}, left by a hook`;
      if (superseded) log(`${what}: superseded by a newer event`);
      else if (error !== undefined) log(`${what}: failed: ${describe(error)}`);
      else for (const change of result?.changes ?? []) log(`${what}: ${describeChange(change)}`);
    }
  }

  /**
   * What can concern the redirect now, from its state: the check of each event, and the kernel's filter of
   * route events narrowed to the same (the VPN interface by its index now: made again, it has another).
   */
  async function watchedNow(stream: EventStream): Promise<Relevance> {
    const [state, peers] = [readState(nsId, o.iface), readPeers(nsId, o.iface)];
    const watched = {
      iface: o.iface,
      protocol: state?.protocol ?? o.protocol,
      addresses: [state?.remote ?? o.remote.text, ...peers.map((p) => p.address)],
      uplinks: state?.uplink ? [state.uplink] : [],
    };
    if (!closed) stream.keepRoutesFor({ addresses: watched.addresses, protocol: watched.protocol, dev: o.iface });
    return new Relevance(watched);
  }

  async function react(): Promise<Change[] | undefined> {
    return withIntentsLock(
      nl,
      nsId,
      o.iface,
      async () => {
        const snap = takeSnapshot(nl, nsId, o.iface);
        const state = snap.state;
        if (!state && !unmade) return undefined;
        if (!(await nl.getLink(o.iface))?.up) return undefined;
        const wanted = state ? checkUp(o.iface, state.remote, { ...upOptionsOf(state), socket: nl }) : o;
        const { changes } = await redirectIn(nl, snap, wanted);
        unmade = false;
        return changes;
      },
      { report: reportIntents, timeoutMs: o.timeoutMs },
    );
  }

  async function serverNow(): Promise<string> {
    return readState(nsId, o.iface)?.remote ?? o.remote.text;
  }

  function reportClosed(destroyed: SocketInfo[]): void {
    for (const s of destroyed) {
      log(
        `${o.iface}: closed ${s.protocol} ${s.local.address}:${s.local.port} -> ${s.remote.address}:${s.remote.port}`,
      );
    }
    if (destroyed.length && options.tincd !== undefined) reconnect = true;
  }

  async function closeStale(): Promise<void> {
    reportClosed(await closeStaleConnections(nl, { pid: options.tincd, server: await serverNow() }));
  }

  /** After the path to the server moved to another gateway, the daemon's connections to it go too. */
  async function closeWhenPathMoved(): Promise<void> {
    const server = await serverNow();
    const path = await pathOutside(nl, server, o.serverPort, o.iface);
    if (path === undefined) return;
    const before = lastPath;
    lastPath = { server, path };
    if (before?.server !== server || before.path === path) return;
    log(`${o.iface}: the path to ${server} moved from ${before.path} to ${path}`);
    reportClosed(await closeConnectionsToServer(nl, { pid: options.tincd, server }));
  }

  async function reconnectWhenReachable(): Promise<void> {
    if ((await pathOutside(nl, await serverNow(), o.serverPort, o.iface)) === undefined) return;
    reconnect = false;
    if (askToReconnect(options.tincd!)) log(`${o.iface}: asked tincd (pid ${options.tincd}) to reconnect`);
  }

  /**
   * watchedNow, for a reaction: a failure (a netlink timeout under load) keeps the last narrowing and is logged;
   * a follower that died of it would leave the redirect unfollowed.
   */
  async function narrow(): Promise<void> {
    relevance = await watchedNow(stream).catch((e: unknown) => {
      log(`${o.iface}: the watch keeps its last narrowing: ${describe(e)}`);
      return relevance;
    });
  }

  async function drain(): Promise<void> {
    try {
      while (pending && !closed) {
        pending = false;
        await new Promise(setImmediate); // the rest of the batch first: one reaction for all of it
        // Narrowed before the reaction's lookups: a change after them passes the kernel's filter.
        await narrow();
        if (addressGone) {
          addressGone = false;
          await closeStale().catch((e: unknown) => log(`${o.iface}: stale connections: ${describe(e)}`));
        }
        await react().then(report, (e: unknown) => log(`${o.iface}: nothing changed: ${describe(e)}`));
        await closeWhenPathMoved().catch((e: unknown) => log(`${o.iface}: connections to the server: ${describe(e)}`));
        if (reconnect) await reconnectWhenReachable().catch(() => undefined);
        await narrow();
      }
    } finally {
      reacting = undefined;
    }
  }

  await closeWhenPathMoved().catch(() => undefined); // the path it starts from
  const stream = events;
  function wake(): void {
    pending = true;
    reacting ??= drain();
  }
  // An intent a hook left (it gave up on the lock) is done by the next reaction: at once, not at the next event.
  let intents: { close(): void };
  try {
    intents = watchIntents(nsId, wake);
  } catch (e) {
    stream.close();
    closeSocket();
    throw e;
  }
  const consuming = (async () => {
    for await (const event of stream) {
      // Any address of the namespace: a daemon's socket may be bound to it whatever the uplink.
      if (event.type === 'overrun' || (event.type === 'address' && event.action === 'delete')) addressGone = true;
      else if (!relevance.concerns(event)) continue;
      wake();
    }
  })();

  return {
    iface: o.iface,
    ended: consuming,
    async close() {
      closed = true;
      intents.close();
      stream.close();
      await consuming.catch(() => undefined);
      await reacting;
      closeSocket();
    },
  };
}
