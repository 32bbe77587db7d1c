// `--strategy halves` (the default, strategy.ts): exception routes for the server and the peers, and the
// half-routes through the VPN interface, all in main (reconcile.ts plans and applies them; a kill switch's
// fallback routes too); then the rules refusing the server and the peers where no path outside the VPN leads to
// them (refusal-rules.ts), which only the halves need.
import type { RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { LAN_METRIC, withLockdownStatus } from './lockdown/index.js';
import { blockedByState, fallbackRoutes, foundRoutes, ownedRoutes, recordedQueries } from './observe.js';
import type { CheckedUp } from './options.js';
import { halvesInPlace, planDown } from './plan.js';
import { reconcile } from './reconcile.js';
import { applyRefusalRules } from './refusal-rules.js';
import type { Snapshot } from './snapshot.js';
import { writePeers, type RedirectState } from './state.js';
import { describeRedirect } from './status.js';
import { merge, type Changes, type Strategy } from './strategy.js';

/** Our routes in main that a halves redirect's state records, its fallback routes included. */
async function recordedRoutes(nl: RouteSocket, state: RedirectState) {
  return [
    ...(await foundRoutes(nl, state.protocol, recordedQueries(state.iface, state))),
    ...(await fallbackRoutes(nl, state.protocol, blockedByState(state))),
  ];
}

/** The rules refusing the redirect's server and peers (`o`), or (undefined) none of ours. */
async function refusalRules(nl: RouteSocket, snap: Snapshot, protocol: number, o: CheckedUp | undefined) {
  return applyRefusalRules(nl, await snap.rules(), protocol, o && { ...o, peers: snap.peers });
}

export const halves: Strategy = {
  async up(nl, snap, o) {
    const made = await reconcile(nl, snap, o);
    // The exceptions in place by now: the refusal rules cannot refuse what has a path.
    return { ...merge(made, await refusalRules(nl, snap, o.protocol, o)), state: made.state };
  },

  async suspend(nl, _snap, state) {
    const owned = await recordedRoutes(nl, state);
    return { changes: await apply(nl, planDown(owned.filter((r) => r.dev === state.iface))) };
  },

  async down(nl, snap, state, protocol) {
    const owned =
      state?.protocol === protocol
        ? await recordedRoutes(nl, state)
        : await ownedRoutes(nl, snap.iface, protocol, snap.elsewhere() !== undefined);
    const routes = { changes: await apply(nl, planDown(owned)) };
    // After the routes: with the half-routes gone, nothing can loop any more.
    return merge(routes, await refusalRules(nl, snap, protocol, undefined));
  },

  /**
   * Inactive (after tincd was killed the state is still there), a peer coming up must not bring the half-routes
   * back into a tunnel with nobody at the other end: only a forgotten peer's exception goes.
   */
  async peersChanged(nl, snap, o, state, { before, added }) {
    const owned = await recordedRoutes(nl, state);
    let routes: Changes;
    if (!halvesInPlace(state.families, state.iface, owned)) {
      const kept = new Set([state.remote, ...snap.peers.map((p) => p.address)]);
      const gone = new Set(before.map((p) => p.address).filter((a) => !kept.has(a)));
      const away = owned.filter((r) => r.dev !== state.iface && gone.has(r.dst.split('/')[0]));
      routes = { changes: await apply(nl, planDown(away)) };
    } else {
      // A peer that cannot bypass the VPN is refused, and not kept: it would stand in every later change's way.
      routes = await reconcile(nl, snap, o, added).catch(async (e: unknown) => {
        await writePeers(snap.nsId, state.iface, before);
        throw e;
      });
    }
    return merge({ changes: routes.changes }, await refusalRules(nl, snap, state.protocol, o));
  },

  async status(nl, name, state, { nsId, links, protocol, elsewhere }) {
    // The lockdown's LAN routes are its own to judge, not the redirect's exceptions.
    const owned = (await ownedRoutes(nl, name, protocol, elsewhere)).filter((r) => r.metric !== LAN_METRIC);
    // A state file with no routes of ours behind it is stale (its interface went without `down`, say).
    const recorded = owned.length ? state : undefined;
    const linkExists = links.some((l) => l.name === name);
    return withLockdownStatus(nl, recorded, await describeRedirect(nl, name, recorded, owned, linkExists), nsId);
  },
};
