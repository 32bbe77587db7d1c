// The redirect made and taken away on an open socket, under the caller's lock and against its snapshot, by the
// strategy its state records (strategy.ts) and the leak protections beside it (protections.ts): what `up`,
// `down` and the follower share.
import type { RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { RefusedError } from '../errors.js';
import { halves } from './halves-strategy.js';
import { ownedRoutes } from './observe.js';
import type { CheckedUp } from './options.js';
import { refuseMeaninglessPeers } from './peer-guards.js';
import { planDown } from './plan.js';
import { lockdown, uplinkRules, type Now } from './protections.js';
import { rules } from './rules-strategy.js';
import { removeState, type RedirectState, type Snapshot } from './state.js';
import { merge, type Changes, type Strategy } from './strategy.js';

export { merge, type Changes } from './strategy.js';

const STRATEGIES = { halves, rules };

/** The strategy a state records (halves where it records none, as older files do), or that `up` asks for. */
export function strategyOf(what: Pick<RedirectState, 'strategy'> | undefined): Strategy {
  return STRATEGIES[what?.strategy ?? 'halves'];
}

/**
 * A full tunnel is one default route: a second interface's redirect in a namespace that has one is a conflict
 * (two VPN daemons redirecting), refused before anything changes. The same interface's is reconciled.
 */
export function refuseSecondRedirect(snap: Snapshot): void {
  const other = snap.elsewhere();
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

/**
 * Takes the redirect on `iface` away, whichever strategy made it, and forgets its state. While the namespace's
 * redirect is on another interface, only routes of ours through `iface` are its.
 */
export async function downIn(nl: RouteSocket, snap: Snapshot, protocol: number): Promise<Changes> {
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
