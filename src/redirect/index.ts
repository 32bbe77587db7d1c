// The gateway redirect, read top to bottom: validate, lock, look, plan, apply, remember.
//   up:     exception routes for the server (its original path), then 0/1 + 128/1 (or ::/1 + 8000::/1)
//           through the VPN interface, so the original default route is shadowed, never touched.
//   down:   our routes for that interface go, whatever the server's address is now.
//   status: what the kernel shows, and what is wrong with it.
//   addPeer / removePeer: mesh nodes whose real addresses must bypass the VPN too (tinc's host-up/-down).
// With `strategy: 'rules'` (rules-strategy.ts) main is not touched: a table of ours and policy rules instead.
import { describeDns, prepareDns, revertDns } from '../dns/index.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkNetnsName } from '../names.js';
import { open, type Change, type Link, type RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { lockdownDown, withLockdownStatus } from './lockdown/index.js';
import { upOptionsOf } from './follow.js';
import { ownedRoutes } from './observe.js';
import {
  checkCommon,
  checkPeerAddress,
  checkUp,
  type CheckedCommon,
  type CommonOptions,
  type UpOptions,
} from './options.js';
import { halvesInPlace, isFallback, planDown } from './plan.js';
import { reconcile } from './reconcile.js';
import type { RuleChange } from './rules-plan.js';
import { describeRules, reconcileRules } from './rules-strategy.js';
import { namespaceKey, removeNamespaceFiles, withLock } from '../store/index.js';
import {
  namespaceStates,
  readPeers,
  readState,
  writePeers,
  writeState,
  type Peer,
  type RedirectState,
} from './state.js';
import { deadFollower } from './follower-file.js';
import { describeRedirect, type RedirectStatus } from './status.js';
import { currentRoutes, downIn, redirectIn, refuseSecondRedirect } from './redirect-in.js';
import { withSocket } from './with-socket.js';

export type { UpOptions, CommonOptions } from './options.js';
export { follow, type Follower, type FollowOptions } from './follow.js';
export { endFollower, followAlone, followerOf, type FollowerInfo } from './follower-lifecycle.js';
export type { RedirectStatus } from './status.js';
export { STATE_DIR } from '../store/index.js';

export interface RedirectResult {
  iface: string;
  /** The changes made, in order; empty when the table already was as wanted. */
  changes: Change[];
  /** The rule changes, in order (`strategy: 'rules'`). */
  rules?: RuleChange[];
  /** What was done to DNS (`dns` given to `up`, or taken away), a line each. */
  dns?: string[];
}

export async function up(iface: string, remote: string, options: UpOptions = {}): Promise<RedirectResult> {
  return redirectTo(iface, remote, options, false);
}

/**
 * What tinc-up does with a kill switch, before tinc first reaches its server (boot, a server that is down): the
 * kill switch's refusals and the server's exception, as after SERVER-down; SERVER-up then adds the half-routes.
 * It holds until `down`: tinc-down (a stop, a restart) only suspends it.
 */
export async function arm(iface: string, remote: string, options: UpOptions = {}): Promise<RedirectResult> {
  if (options.killSwitch !== true && options.lockdown !== true)
    throw new InvalidInputError('arm is for a kill switch or a lockdown: give killSwitch: true or lockdown: true');
  return redirectTo(iface, remote, options, true);
}

async function redirectTo(iface: string, remote: string, options: UpOptions, suspended: boolean) {
  const o = { ...checkUp(iface, remote, options), suspended };
  return withSocket(o, (nl, nsId) =>
    withLock(nsId, o.iface, async () => {
      await refuseSecondRedirect(nsId, o.iface);
      const prepared = o.dns && (await prepareDns(nl, nsId, o.iface, o.dns, o.timeoutMs));
      try {
        const routes = await redirectIn(nl, nsId, o);
        // Arming leaves DNS as it is: after a restart of tincd under a held kill switch, the VPN's resolver stays
        // (its queries refused until tinc is back), never the LAN's in clear.
        const dns = prepared
          ? await prepared.apply()
          : suspended
            ? []
            : await revertDns(nl, nsId, o.iface, o.timeoutMs);
        return { iface: o.iface, ...routes, ...(dns.length ? { dns } : {}) };
      } finally {
        prepared?.close();
      }
    }),
  );
}

export async function down(iface: string, options: CommonOptions = {}): Promise<RedirectResult> {
  return lift(iface, options, false);
}

/**
 * What tinc's SERVER-down and tinc-down do: with a kill switch or the lockdown, the half-routes through the VPN go
 * and everything else stays (the fallback routes refuse traffic, the exception routes keep tinc's own path open to
 * reconnect);
 * without one, the redirect ends as with `down`.
 */
export async function suspend(iface: string, options: CommonOptions = {}): Promise<RedirectResult> {
  return lift(iface, options, true);
}

async function lift(iface: string, options: CommonOptions, keepKillSwitch: boolean): Promise<RedirectResult> {
  const o = checkCommon(options);
  const name = checkInterfaceName(iface);
  return withSocket(o, (nl, nsId) =>
    withLock(nsId, name, async () => {
      const state = await readState(nsId, name);
      if (keepKillSwitch && (state?.killSwitch || state?.lockdown) && state.protocol === o.protocol) {
        // Under the rules strategy the table holds as it is: tinc, without its server, sends nothing on.
        if (state.strategy === 'rules') return { iface: name, changes: [] };
        const owned = await currentRoutes(nl, nsId, name, o.protocol);
        // Held in the state first: a follower's re-plan must not put the half-routes back.
        await writeState(nsId, { ...state, suspended: true });
        return { iface: name, changes: await apply(nl, planDown(owned.filter((r) => r.dev === name))) };
      }
      const routes = await downIn(nl, nsId, name, o.protocol);
      const dns = await revertDns(nl, nsId, name, o.timeoutMs);
      // Last: a table of its name that is not ours refuses (ForeignTableError) after all else is undone.
      if (state?.lockdown) await lockdownDown(nl);
      return { iface: name, ...routes, ...(dns.length ? { dns } : {}) };
    }),
  );
}

export async function status(iface: string, options?: CommonOptions): Promise<RedirectStatus>;
export async function status(iface?: undefined, options?: CommonOptions): Promise<RedirectStatus[]>;
export async function status(iface?: string, options: CommonOptions = {}): Promise<RedirectStatus | RedirectStatus[]> {
  const o = checkCommon(options);
  if (iface !== undefined) checkInterfaceName(iface);
  return withSocket(o, async (nl, nsId) => {
    const links = await nl.listLinks();
    const states = await namespaceStates(nsId);
    const halves = (await nl.listRoutes({ table: 'main', protocol: o.protocol })).filter(
      (r) => r.dst.endsWith('/1') && !isFallback(r),
    );
    const names =
      iface !== undefined
        ? [iface]
        : [...new Set([...states.map((s) => s.iface), ...halves.map((r) => r.dev!)])].sort();
    const result = [];
    for (const name of names) {
      const routes = withFollowerProblem(nsId, await describeRoutes(nl, nsId, name, states, links, o.protocol));
      const dns = await describeDns(nl, nsId, name, o.timeoutMs);
      result.push(dns ? { ...routes, dns, problems: [...routes.problems, ...dns.problems] } : routes);
    }
    return iface !== undefined ? result[0] : result;
  });
}

/** A follower that was started for the redirect and died (killed) follows nothing: a problem until `down`. */
function withFollowerProblem(nsId: string, status: RedirectStatus): RedirectStatus {
  const dead = deadFollower(nsId, status.iface);
  if (dead) status.problems.push(`its follower (pid ${dead.pid}) died: \`up --follow\` starts another`);
  return status;
}

async function describeRoutes(
  nl: RouteSocket,
  nsId: string,
  name: string,
  states: RedirectState[],
  links: Link[],
  protocol: number,
): Promise<RedirectStatus> {
  const ruled = states.find((s) => s.iface === name && s.strategy === 'rules');
  const linkExists = links.some((l) => l.name === name);
  if (ruled) return withLockdownStatus(nl, ruled, await describeRules(nl, name, ruled, linkExists), nsId);
  const elsewhere = states.some((s) => s.iface !== name);
  const owned = await ownedRoutes(nl, name, protocol, elsewhere);
  // A state file with no routes of ours behind it is stale (its interface went without `down`, say).
  const state = owned.length ? states.find((s) => s.iface === name) : undefined;
  return withLockdownStatus(nl, state, await describeRedirect(nl, name, state, owned, linkExists), nsId);
}

/**
 * Forgets everything kept under /run for the named namespace (states, peers, its lock file), for a namespace
 * about to be deleted with no redirect running in it. (Its files name it by its cookie, never another's; on a
 * kernel without cookies, by its inode, which the next namespace made may get.)
 */
export async function forgetNamespace(netns: string): Promise<void> {
  const nl = await open({ netns: checkNetnsName(netns) });
  try {
    await removeNamespaceFiles(namespaceKey(nl));
  } finally {
    nl.close();
  }
}

/** Remembers a mesh peer's real address and, while the redirect is active, keeps it off the VPN. */
export async function addPeer(
  iface: string,
  node: string,
  address: string,
  options: CommonOptions = {},
): Promise<RedirectResult> {
  const peer = { node: checkNodeName(node), address: checkPeerAddress(address, 'peer address').text };
  return changePeers(iface, options, (peers) => [...peers.filter((p) => p.node !== node), peer], true);
}

/** Forgets a mesh peer and removes its exception route. */
export async function removePeer(iface: string, node: string, options: CommonOptions = {}): Promise<RedirectResult> {
  checkNodeName(node);
  return changePeers(iface, options, (peers) => peers.filter((p) => p.node !== node));
}

/**
 * Many peers' latest events at once (the follower's handoff, src/redirect/peer-handoff.ts): `read`, called under
 * the lock, gives each node's address, or null when it went down; one reconcile for all of them.
 */
export async function foldPeers(
  iface: string,
  read: () => Map<string, string | null>,
  options: CommonOptions = {},
): Promise<RedirectResult> {
  return changePeers(iface, options, (peers) => {
    const events = read();
    const up = [...events].flatMap(([node, address]) => (address === null ? [] : [{ node, address }]));
    return [...peers.filter((p) => !events.has(p.node)), ...up];
  });
}

function checkNodeName(node: unknown): string {
  if (typeof node !== 'string' || !/^\w+$/.test(node))
    throw new InvalidInputError(`invalid node name: ${JSON.stringify(node)}`);
  return node;
}

/**
 * Records the new peer list, then brings the exception routes in line with it, but only while the redirect
 * is active: after tincd was killed the state file is still there, and a peer coming up must not bring the
 * half-routes back into a tunnel with nobody at the other end. Inactive, a forgotten peer's exception goes.
 * `refuseBad`: a new peer that cannot bypass the VPN refuses the change and is not kept (one node's host-up);
 * otherwise (many nodes' events folded at once) it is kept without an exception route, the others go on.
 */
async function changePeers(
  iface: string,
  options: CommonOptions,
  update: (peers: Peer[]) => Peer[],
  refuseBad = false,
): Promise<RedirectResult> {
  const o = checkCommon(options);
  const name = checkInterfaceName(iface);
  return withSocket(o, (nl, nsId) =>
    withLock(nsId, name, async () => {
      const before = await readPeers(nsId, name);
      const after = update(before);
      await writePeers(nsId, name, after);
      const known = new Set(before.map((p) => p.address));
      const added = new Set(refuseBad ? after.map((p) => p.address).filter((a) => !known.has(a)) : []);
      const state = await readState(nsId, name);
      if (!state) return { iface: name, changes: [] };
      if (state.strategy === 'rules') {
        const redo = checkUp(name, state.remote, { ...upOptionsOf(state), ...sameSocket(o) });
        return { iface: name, ...(await reconcileRules(nl, nsId, redo, { state, peersOnly: true })) };
      }
      const owned = await currentRoutes(nl, nsId, name, state.protocol);
      if (!halvesInPlace(state.families, name, owned)) {
        const kept = new Set([state.remote, ...after.map((p) => p.address)]);
        const gone = new Set(before.map((p) => p.address).filter((a) => !kept.has(a)));
        return {
          iface: name,
          changes: await apply(nl, planDown(owned.filter((r) => r.dev !== name && gone.has(r.dst.split('/')[0])))),
        };
      }
      const redo = checkUp(name, state.remote, { ...upOptionsOf(state), ...sameSocket(o) });
      // A peer that cannot bypass the VPN is refused, and not kept: it would stand in every later change's way.
      const changes = await reconcile(nl, nsId, redo, added).catch(async (e: unknown) => {
        await writePeers(nsId, name, before);
        throw e;
      });
      return { iface: name, changes };
    }),
  );
}

/** Options that work where these did: the same namespace, timeout and socket. */
function sameSocket(o: CheckedCommon): CommonOptions {
  return { netns: o.netns, timeoutMs: o.timeoutMs, socket: o.socket };
}
