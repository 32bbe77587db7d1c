// The redirect's changes as they are made on an open socket, under the namespace's lock, against one snapshot: what
// `up`, `arm`, `suspend`, `down` and the peer changes do once they hold it (index.ts), what a hook's intent is done
// by (intents.ts), whoever holds the lock then, and what the follower's reactions make (follow.ts). Each is the
// strategy its state records (strategy.ts: look, plan, remember, apply), the leak protections beside it
// (protections.ts) and DNS, in their order.
import { prepareDns, revertDns } from '../dns/index.js';
import { RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { halves } from './halves-strategy.js';
import { ownedRoutes } from './observe.js';
import { checkUp, type CheckedCommon, type CheckedUp, type CommonOptions } from './options.js';
import { refuseMeaninglessPeers } from './peer-guards.js';
import { planDown } from './plan.js';
import { dnsRules, lockdown, uplinkRules, type Now } from './protections.js';
import { rules } from './rules-strategy.js';
import {
  removeState,
  upOptionsOf,
  writePeers,
  writeState,
  type Peer,
  type RedirectState,
  type Snapshot,
} from './state.js';
import { merge, type Changes, type Strategy } from './strategy.js';

const STRATEGIES = { halves, rules };

/** The strategy a state records (halves where it records none, as older files do), or that `up` asks for. */
export function strategyOf(what: Pick<RedirectState, 'strategy'> | undefined): Strategy {
  return STRATEGIES[what?.strategy ?? 'halves'];
}

/**
 * A full tunnel is one default route: a second interface's redirect in a namespace that has one is a conflict
 * (two VPN daemons redirecting), refused before anything changes. The same interface's is reconciled.
 */
function refuseSecondRedirect(snap: Snapshot): void {
  const other = snap.elsewhere();
  if (other)
    throw new RefusedError(
      `${other.iface} has this namespace's redirect, and there is one per namespace: down ${other.iface} first`,
    );
}

export interface RedirectResult extends Changes {
  iface: string;
  /** What was done to DNS (`dns` given to `up`, or taken away), a line each. */
  dns?: string[];
}

/** `up` (or, `suspended`, `arm`): the redirect made, and DNS through the VPN when asked for. */
export async function redirectToIn(nl: RouteSocket, snap: Snapshot, o: CheckedUp): Promise<RedirectResult> {
  refuseSecondRedirect(snap);
  const prepared = o.dns && (await prepareDns(nl, snap.nsId, o.iface, o.dns, snap.dns, o.timeoutMs));
  try {
    const { changes, rules, ...made } = await redirectIn(nl, snap, o);
    // Arming without `dns` leaves DNS as it is: after a restart of tincd under a suspended kill switch, the VPN's
    // resolver stays (its queries refused until tinc is back), never the LAN's in clear.
    const dns = prepared
      ? await prepared.apply()
      : o.suspended
        ? []
        : await revertDns(nl, snap.nsId, o.iface, snap.dns, o.timeoutMs);
    const resolvers = prepared ? prepared.servers : o.suspended ? snap.dns?.servers : undefined;
    const refusals = await dnsRules.up(nl, snap, { ...made, resolvers });
    return { iface: o.iface, ...merge({ changes, rules }, refusals), ...(dns.length ? { dns } : {}) };
  } finally {
    prepared?.close();
  }
}

/**
 * Brings the kernel to what `o` wants. Another strategy than the one in place is taken down only once the new one
 * stands (make before break): the two never disagree on what is refused, so under a kill switch nothing leaves
 * in clear between them.
 */
export async function redirectIn(nl: RouteSocket, snap: Snapshot, o: CheckedUp): Promise<Changes & Now> {
  await refuseMeaninglessPeers(nl, o);
  const strategy = strategyOf(o);
  const replaced = snap.state && strategyOf(snap.state) !== strategy ? snap.state : undefined;
  const { state, ...routes } = await strategy.up(nl, snap, o, replaced ? undefined : snap.state);
  const now = { o, state };
  let made = merge(routes, await lockdown.up(nl, snap, now));
  // Its state file is the new strategy's by now.
  if (replaced) made = merge(made, await strategyOf(replaced).down(nl, snap, replaced, replaced.protocol));
  return { ...merge(made, await uplinkRules.up(nl, snap, now)), ...now };
}

/** `down`, or (`suspending`) `suspend`: see index.ts. */
export async function liftIn(
  nl: RouteSocket,
  snap: Snapshot,
  o: CheckedCommon,
  suspending: boolean,
): Promise<RedirectResult> {
  const { state, iface } = snap;
  if (suspending && (state?.killSwitch || state?.lockdown) && state.protocol === o.protocol) {
    // Suspended in the state first: a follower's re-plan must not put the half-routes or the LAN's routes back.
    const suspended = { ...state, suspended: true };
    await writeState(snap.nsId, suspended);
    // The LAN's routes through the VPN go under either strategy: the firewall refuses that LAN at once.
    const given = await lockdown.suspend(nl, snap, suspended);
    // A strategy without `suspend` (rules) holds its table as it is: tinc, without its server, sends nothing on.
    const strategy = strategyOf(state);
    return { iface, ...(strategy.suspend ? merge(given, await strategy.suspend(nl, snap, suspended)) : given) };
  }
  const routes = merge(await downIn(nl, snap, o.protocol), await dnsRules.down(nl, snap, o.protocol));
  const dns = await revertDns(nl, snap.nsId, iface, snap.dns, o.timeoutMs);
  const locked = merge(routes, await lockdown.down(nl, snap, o.protocol));
  return { iface, ...locked, ...(dns.length ? { dns } : {}) };
}

/**
 * Takes the redirect on `iface` away, whichever strategy made it, and forgets its state. While the namespace's
 * redirect is on another interface, only routes of ours through `iface` are its.
 */
async function downIn(nl: RouteSocket, snap: Snapshot, protocol: number): Promise<Changes> {
  const state = snap.state;
  if (!state && snap.elsewhere())
    return { changes: await apply(nl, planDown(await ownedRoutes(nl, snap.iface, protocol, true))) };
  let made = await uplinkRules.down(nl, snap, protocol);
  // A redirect whose state is lost: what each strategy makes at its defaults.
  for (const strategy of state ? [strategyOf(state)] : Object.values(STRATEGIES))
    made = merge(made, await strategy.down(nl, snap, state, protocol));
  await removeState(snap.nsId, snap.iface);
  return made;
}
/**
 * Records the new peer list (`update` of the snapshot's), then brings the exception routes in line with it, by
 * the strategy the state records (none while there is no redirect). `refuseBad`: a new peer that cannot bypass
 * the VPN refuses the change and is not kept (one node's host-up); otherwise (many nodes' events folded at once)
 * it is kept without an exception route, the others go on.
 */
export async function changePeersIn(
  nl: RouteSocket,
  snap: Snapshot,
  o: CheckedCommon,
  update: (peers: Peer[]) => Peer[],
  refuseBad: boolean,
): Promise<RedirectResult> {
  const { state, iface, peers: before } = snap;
  const after = update(before);
  await writePeers(snap.nsId, iface, after);
  const known = new Set(before.map((p) => p.address));
  const added = new Set(refuseBad ? after.map((p) => p.address).filter((a) => !known.has(a)) : []);
  if (!state) return { iface, changes: [] };
  const redo = checkUp(iface, state.remote, { ...upOptionsOf(state), ...sameSocket(o) });
  const changed = { ...snap, peers: after };
  return { iface, ...(await strategyOf(state).peersChanged(nl, changed, redo, state, { before, added })) };
}

/** Options that work where these did: the same namespace, timeout and socket. */
function sameSocket(o: CheckedCommon): CommonOptions {
  return { netns: o.netns, timeoutMs: o.timeoutMs, socket: o.socket };
}
