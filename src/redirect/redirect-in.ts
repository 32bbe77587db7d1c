// The redirect made and taken away on an open socket, whichever strategy made it, under the caller's lock:
// what `up`, `down` and the follower share.
import type { Change, RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { RefusedError } from '../errors.js';
import { blockedByState, fallbackRoutes, foundRoutes, ownedRoutes, recordedQueries } from './observe.js';
import type { CheckedUp } from './options.js';
import { refuseMeaninglessPeers } from './peer-guards.js';
import { planDown } from './plan.js';
import { reconcile } from './reconcile.js';
import type { RuleChange } from './rules-plan.js';
import { reconcileRules, rulesDown } from './rules-strategy.js';
import { lockdownIn, lockdownOfState } from './lockdown/index.js';
import { applyRefusalRules } from './refusal-rules.js';
import { readPeers, readState, redirectElsewhere, removeState, type RedirectState } from './state.js';
import { applyUplinkRules, uplinkTo } from './uplink-rules.js';

export interface Changes {
  /** The route changes made, in order; empty when the table already was as wanted. */
  changes: Change[];
  /** The rule changes, in order (`strategy: 'rules'`). */
  rules?: RuleChange[];
}

/**
 * A full tunnel is one default route: a second interface's redirect in a namespace that has one is a conflict
 * (two VPN daemons redirecting), refused before anything changes. The same interface's is reconciled.
 */
export async function refuseSecondRedirect(nsId: string, iface: string): Promise<void> {
  const other = await redirectElsewhere(nsId, iface);
  if (other)
    throw new RefusedError(
      `${other.iface} has this namespace's redirect, and there is one per namespace: down ${other.iface} first`,
    );
}

/**
 * Brings the kernel to what `o` wants. Another strategy than the one in place is taken down only once the new one
 * stands (make before break): the two never disagree on what is refused, so under a kill switch nothing leaves
 * in clear between them.
 */
export async function redirectIn(nl: RouteSocket, nsId: string, o: CheckedUp): Promise<Changes> {
  await refuseMeaninglessPeers(nl, o);
  const state = await readState(nsId, o.iface);
  const replaced = state && (state.strategy ?? 'halves') !== o.strategy ? state : undefined;
  const now =
    o.strategy === 'rules'
      ? await reconcileRules(nl, nsId, o, { state: replaced ? undefined : state })
      : await halvesIn(nl, nsId, o);
  const after = await readState(nsId, o.iface);
  await lockdownIn(nl, state, after && lockdownOfState(after, await readPeers(nsId, o.iface)));
  const made = replaced ? merge(now, await strategyDown(nl, replaced)) : now;
  return merge(made, await uplinkRules(nl, o));
}

/** The halves' routes, then (the exceptions in place by now) the rules refusing the server with no path outside the VPN. */
async function halvesIn(nl: RouteSocket, nsId: string, o: CheckedUp): Promise<Changes> {
  const changes = await reconcile(nl, nsId, o);
  const refused = { ...o, peers: await readPeers(nsId, o.iface) };
  return merge({ changes }, await applyRefusalRules(nl, o.protocol, refused));
}

/**
 * A kill switch adds the rules for sockets bound to the uplink the server is reached by now (none while there
 * is no path to it); a redirect without one takes them away.
 */
async function uplinkRules(nl: RouteSocket, o: CheckedUp): Promise<Changes> {
  if (o.killSwitch) {
    const uplink = await uplinkTo(nl, o.remote, o.serverPort);
    return uplink && uplink !== o.iface ? applyUplinkRules(nl, o.protocol, uplink) : { changes: [] };
  }
  return applyUplinkRules(nl, o.protocol, undefined);
}

/** Takes away what the strategy a state records made (its state file is the new strategy's by now). */
async function strategyDown(nl: RouteSocket, state: RedirectState): Promise<Changes> {
  if (state.strategy === 'rules') return rulesDown(nl, state.protocol, state);
  const routes = { changes: await apply(nl, planDown(await recordedRoutes(nl, state))) };
  return merge(routes, await applyRefusalRules(nl, state.protocol, undefined));
}

export function merge(a: Changes | undefined, b: Changes): Changes {
  const rules = [...(a?.rules ?? []), ...(b.rules ?? [])];
  return { changes: [...(a?.changes ?? []), ...b.changes], ...(rules.length ? { rules } : {}) };
}

/**
 * Takes the redirect on `iface` away, whichever strategy made it, and forgets its state. While the namespace's
 * redirect is on another interface, only routes of ours through `iface` are its.
 */
export async function downIn(nl: RouteSocket, nsId: string, iface: string, protocol: number): Promise<Changes> {
  const state = await readState(nsId, iface);
  if (!state && (await redirectElsewhere(nsId, iface)))
    return { changes: await apply(nl, planDown(await ownedRoutes(nl, iface, protocol, true))) };
  const uplink = await applyUplinkRules(nl, state?.protocol ?? protocol, undefined);
  if (state?.strategy === 'rules') {
    const result = await rulesDown(nl, state.protocol, state);
    await removeState(nsId, iface);
    return merge(uplink, result);
  }
  const routes = { changes: await apply(nl, planDown(await currentRoutes(nl, nsId, iface, protocol))) };
  // After the routes: with the half-routes gone, nothing can loop any more.
  const halves = merge(routes, await applyRefusalRules(nl, protocol, undefined));
  // A redirect whose state is lost: our rules and table at the default place go too.
  const orphans = state ? undefined : await rulesDown(nl, protocol, undefined);
  await removeState(nsId, iface);
  return merge(merge(uplink, halves), orphans ?? { changes: [] });
}

/** Our routes of the redirect on `iface`: by its state where there is one, else from the kernel's dump. */
export async function currentRoutes(nl: RouteSocket, nsId: string, iface: string, protocol: number) {
  const state = await readState(nsId, iface);
  if (state?.protocol === protocol) return recordedRoutes(nl, state);
  return ownedRoutes(nl, iface, protocol, (await redirectElsewhere(nsId, iface)) !== undefined);
}

/** Our routes in main that a halves redirect's state records, its fallback routes included. */
async function recordedRoutes(nl: RouteSocket, state: RedirectState) {
  return [
    ...(await foundRoutes(nl, state.protocol, recordedQueries(state.iface, state))),
    ...(await fallbackRoutes(nl, state.protocol, blockedByState(state))),
  ];
}
