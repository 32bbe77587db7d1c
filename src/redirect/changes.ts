// The redirect's changes as they are made under the namespace's lock, on an open socket: what `up`, `arm`,
// `suspend`, `down` and the peer changes do once they hold it (index.ts), and what a hook's intent is fulfilled by
// (intents.ts), whoever holds the lock then.
import { prepareDns, revertDns } from '../dns/index.js';
import type { RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { lockdownDown, lockdownSuspended } from './lockdown/index.js';
import { checkUp, type CheckedCommon, type CheckedUp, type CommonOptions } from './options.js';
import { halvesInPlace, planDown } from './plan.js';
import { reconcile } from './reconcile.js';
import { currentRoutes, downIn, merge, redirectIn, refuseSecondRedirect, type Changes } from './redirect-in.js';
import { applyDnsRules, dnsResolvers } from './dns-rules.js';
import { applyRefusalRules } from './refusal-rules.js';
import { reconcileRules } from './rules-strategy.js';
import { readPeers, readState, upOptionsOf, writePeers, writeState, type Peer } from './state.js';

export interface RedirectResult extends Changes {
  iface: string;
  /** What was done to DNS (`dns` given to `up`, or taken away), a line each. */
  dns?: string[];
}

/** `up` (or, `suspended`, `arm`): the redirect made, and DNS through the VPN when asked for. */
export async function redirectToIn(nl: RouteSocket, nsId: string, o: CheckedUp): Promise<RedirectResult> {
  await refuseSecondRedirect(nsId, o.iface);
  const prepared = o.dns && (await prepareDns(nl, nsId, o.iface, o.dns, o.timeoutMs));
  try {
    const routes = await redirectIn(nl, nsId, o);
    // Arming without `dns` leaves DNS as it is: after a restart of tincd under a held kill switch, the VPN's
    // resolver stays (its queries refused until tinc is back), never the LAN's in clear.
    const dns = prepared ? await prepared.apply() : o.suspended ? [] : await revertDns(nl, nsId, o.iface, o.timeoutMs);
    const resolvers = o.killSwitch ? await dnsResolvers(nsId, o.iface) : undefined;
    const dnsRules = await applyDnsRules(nl, o.protocol, resolvers);
    return { iface: o.iface, ...merge(routes, dnsRules), ...(dns.length ? { dns } : {}) };
  } finally {
    prepared?.close();
  }
}

/** `down`, or (`keepKillSwitch`) `suspend`: see index.ts. */
export async function liftIn(
  nl: RouteSocket,
  nsId: string,
  name: string,
  o: CheckedCommon,
  keepKillSwitch: boolean,
): Promise<RedirectResult> {
  const state = await readState(nsId, name);
  if (keepKillSwitch && (state?.killSwitch || state?.lockdown) && state.protocol === o.protocol) {
    // Held in the state first: a follower's re-plan must not put the half-routes or the LAN's routes back.
    await writeState(nsId, { ...state, suspended: true });
    // The LAN's routes through the VPN go under either strategy: the firewall refuses that LAN at once.
    if (state.lockdown) await lockdownSuspended(nl, state.protocol);
    // Under the rules strategy the table holds as it is: tinc, without its server, sends nothing on.
    if (state.strategy === 'rules') return { iface: name, changes: [] };
    const owned = await currentRoutes(nl, nsId, name, o.protocol);
    return { iface: name, changes: await apply(nl, planDown(owned.filter((r) => r.dev === name))) };
  }
  const routes = merge(await downIn(nl, nsId, name, o.protocol), await applyDnsRules(nl, o.protocol, undefined));
  const dns = await revertDns(nl, nsId, name, o.timeoutMs);
  // Last: a table of its name that is not ours refuses (ForeignTableError) after all else is undone.
  if (state?.lockdown) await lockdownDown(nl, state.protocol);
  return { iface: name, ...routes, ...(dns.length ? { dns } : {}) };
}

/**
 * Records the new peer list, then brings the exception routes in line with it, but only while the redirect
 * is active: after tincd was killed the state file is still there, and a peer coming up must not bring the
 * half-routes back into a tunnel with nobody at the other end. Inactive, a forgotten peer's exception goes.
 * `refuseBad`: a new peer that cannot bypass the VPN refuses the change and is not kept (one node's host-up);
 * otherwise (many nodes' events folded at once) it is kept without an exception route, the others go on.
 */
export async function changePeersIn(
  nl: RouteSocket,
  nsId: string,
  name: string,
  o: CheckedCommon,
  update: (peers: Peer[]) => Peer[],
  refuseBad: boolean,
): Promise<RedirectResult> {
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
  const redo = checkUp(name, state.remote, { ...upOptionsOf(state), ...sameSocket(o) });
  const refused = () => applyRefusalRules(nl, state.protocol, { ...redo, peers: after });
  if (!halvesInPlace(state.families, name, owned)) {
    const kept = new Set([state.remote, ...after.map((p) => p.address)]);
    const gone = new Set(before.map((p) => p.address).filter((a) => !kept.has(a)));
    const routes = await apply(nl, planDown(owned.filter((r) => r.dev !== name && gone.has(r.dst.split('/')[0]))));
    return { iface: name, ...merge({ changes: routes }, await refused()) };
  }
  // A peer that cannot bypass the VPN is refused, and not kept: it would stand in every later change's way.
  const changes = await reconcile(nl, nsId, redo, added).catch(async (e: unknown) => {
    await writePeers(nsId, name, before);
    throw e;
  });
  return { iface: name, ...merge({ changes }, await refused()) };
}

/** Options that work where these did: the same namespace, timeout and socket. */
function sameSocket(o: CheckedCommon): CommonOptions {
  return { netns: o.netns, timeoutMs: o.timeoutMs, socket: o.socket };
}
