// The redirect made and taken away on an open socket, whichever strategy made it, under the caller's lock:
// what `up`, `down` and the follower share.
import type { Change, RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import {
  blockedByState,
  fallbackRoutes,
  foundRoutes,
  liftableFallbacks,
  ownedRoutes,
  recordedQueries,
} from './observe.js';
import type { CheckedUp } from './options.js';
import { refuseMeaninglessPeers } from './peer-guards.js';
import { planDown } from './plan.js';
import { reconcile } from './reconcile.js';
import type { RuleChange } from './rules-plan.js';
import { orphanRulesDown, reconcileRules, rulesDown } from './rules-strategy.js';
import { lockdownIn, lockdownOfState } from './lockdown/index.js';
import { otherStates, readPeers, readState, removeState, type RedirectState } from './state.js';
import { applyUplinkRules, uplinkTo } from './uplink-rules.js';

export interface Changes {
  /** The route changes made, in order; empty when the table already was as wanted. */
  changes: Change[];
  /** The rule changes, in order (`strategy: 'rules'`). */
  rules?: RuleChange[];
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
      ? await reconcileRules(nl, nsId, o, {
          state: replaced ? undefined : state,
          others: await otherStates(nsId, o.iface),
        })
      : { changes: await reconcile(nl, nsId, o) };
  const after = await readState(nsId, o.iface);
  await lockdownIn(nl, state, after && lockdownOfState(after, await readPeers(nsId, o.iface)));
  const made = replaced ? merge(now, await strategyDown(nl, nsId, replaced)) : now;
  return merge(made, await uplinkRules(nl, nsId, o));
}

/**
 * A kill switch adds the rules for sockets bound to the uplink the server is reached by now (none while there
 * is no path to it); a redirect without one takes them away unless another redirect here holds a kill switch.
 */
async function uplinkRules(nl: RouteSocket, nsId: string, o: CheckedUp): Promise<Changes> {
  if (o.killSwitch) {
    const uplink = await uplinkTo(nl, o.remote);
    return uplink && uplink !== o.iface ? applyUplinkRules(nl, o.protocol, uplink) : { changes: [] };
  }
  return liftUplinkRules(nl, nsId, o.iface, o.protocol);
}

async function liftUplinkRules(nl: RouteSocket, nsId: string, iface: string, protocol: number): Promise<Changes> {
  if ((await otherStates(nsId, iface)).some((s) => s.killSwitch)) return { changes: [] };
  return applyUplinkRules(nl, protocol, undefined);
}

/** Takes away what the strategy a state records made (its state file is the new strategy's by now). */
async function strategyDown(nl: RouteSocket, nsId: string, state: RedirectState): Promise<Changes> {
  if (state.strategy === 'rules') return rulesDown(nl, state.protocol, state);
  return { changes: await apply(nl, planDown(await recordedRoutes(nl, nsId, state))) };
}

export function merge(a: Changes | undefined, b: Changes): Changes {
  const rules = [...(a?.rules ?? []), ...(b.rules ?? [])];
  return { changes: [...(a?.changes ?? []), ...b.changes], ...(rules.length ? { rules } : {}) };
}

/** Takes the redirect on `iface` away, whichever strategy made it, and forgets its state. */
export async function downIn(nl: RouteSocket, nsId: string, iface: string, protocol: number): Promise<Changes> {
  const state = await readState(nsId, iface);
  const uplink = await liftUplinkRules(nl, nsId, iface, state?.protocol ?? protocol);
  if (state?.strategy === 'rules') {
    const result = await rulesDown(nl, state.protocol, state);
    await removeState(nsId, iface);
    return merge(uplink, result);
  }
  const halves = { changes: await apply(nl, planDown(await currentRoutes(nl, nsId, iface, protocol))) };
  const orphans = state ? undefined : await orphanRulesDown(nl, protocol, await otherStates(nsId, iface));
  await removeState(nsId, iface);
  return merge(merge(uplink, halves), orphans ?? { changes: [] });
}

/** Our routes of the redirect on `iface`: by its state where there is one, else from the kernel's dump. */
export async function currentRoutes(nl: RouteSocket, nsId: string, iface: string, protocol: number) {
  const state = await readState(nsId, iface);
  if (state?.protocol === protocol) return recordedRoutes(nl, nsId, state);
  return ownedRoutes(nl, iface, protocol, await otherStates(nsId, iface));
}

/** Our routes in main that a halves redirect's state records, its fallback routes included unless another wants them. */
async function recordedRoutes(nl: RouteSocket, nsId: string, state: RedirectState) {
  const fallbacks = liftableFallbacks(blockedByState(state), await otherStates(nsId, state.iface));
  return [
    ...(await foundRoutes(nl, state.protocol, recordedQueries(state.iface, state))),
    ...(await fallbackRoutes(nl, state.protocol, fallbacks)),
  ];
}
