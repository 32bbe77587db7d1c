// The redirect's changes as they are made under the namespace's lock, on an open socket, against one snapshot:
// what `up`, `arm`, `suspend`, `down` and the peer changes do once they hold it (index.ts), and what a hook's
// intent is fulfilled by (intents.ts), whoever holds the lock then.
import { prepareDns, revertDns } from '../dns/index.js';
import type { RouteSocket } from '../netlink/index.js';
import { checkUp, type CheckedCommon, type CheckedUp, type CommonOptions } from './options.js';
import { dnsRules, lockdown } from './protections.js';
import { downIn, merge, redirectIn, refuseSecondRedirect, strategyOf, type Changes } from './redirect-in.js';
import { upOptionsOf, writePeers, writeState, type Peer, type Snapshot } from './state.js';

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
