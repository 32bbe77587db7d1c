// `--strategy halves` (the default, strategy.ts): exception routes for the server and the peers, and the
// half-routes through the VPN interface, all in main, with a kill switch's fallback routes; then the rules
// refusing the server and the peers where no path outside the VPN leads to them (refusal-rules.ts), which only the
// halves need. Its routes are brought to what one redirect wants by `reconcile`: look (observe.ts), plan
// (plan.ts), remember, apply (apply.ts). `up` and the mesh peers' changes both end there, so every path plans
// against the current state and never piles routes up.
import { parseAddress, type Family } from '../address.js';
import { RefusedError } from '../errors.js';
import type { Change, RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import { LAN_METRIC } from './lockdown/index.js';
import {
  blockedByState,
  exceptionFor,
  fallbackRoutes,
  FibMatches,
  foundRoutes,
  gatewaysNeedingRoute,
  ownedRoutes,
  recordedQueries,
} from './observe.js';
import { unmapped, type CheckedUp } from './options.js';
import { blockedFamilies, HALVES, halvesInPlace, planDown, planUp, type ExceptionPath, type Step } from './plan.js';
import { applyRefusalRules } from './refusal-rules.js';
import { baseRecord, removeState, writePeers, writeState, type RedirectState, type Snapshot } from './state.js';
import { describeRedirect } from './status.js';
import { merge, type Changes, type Made, type Strategy } from './strategy.js';

/**
 * The halves' part of `up`, and of a peers change: look, plan, remember, apply. `checked`: the addresses of peers
 * being added, whose refusal (no path outside the VPN) refuses the change.
 */
async function reconcile(
  nl: RouteSocket,
  snap: Snapshot,
  o: CheckedUp,
  checked: ReadonlySet<string> = new Set(),
): Promise<Made> {
  const blocked = blockedFamilies(o.families, o.killSwitch, o.blockIpv6);
  const { owned, exceptions, uplinkHint, gatewayNeedsRoute } = await look(nl, snap, o, blocked, checked);
  const suspended = o.suspended ?? snap.state?.suspended === true;
  const { iface, families, gateways, protocol } = o;
  const steps = planUp({
    iface,
    families,
    gateways,
    gatewayNeedsRoute,
    exceptions,
    protocol,
    owned,
    blocked,
    suspended,
  });
  const record: RedirectState = {
    ...baseRecord(
      o,
      exceptions.map((e) => e.dst),
    ),
    uplink: exceptions[0]?.dev ?? uplinkHint,
    ...(suspended ? { suspended } : {}),
  };
  return { changes: await rememberAndApply(nl, snap, record, steps), state: record };
}

/**
 * What the kernel has that `o` concerns: the routes that may be ours (the fallback routes of the `blocked` families
 * among them), the original path of the server and of each
 * peer, the uplink last used. Any peer but those `checked` that cannot bypass the VPN (its address moved into the
 * VPN's subnet, a route of the user's refuses it) gets no exception route, and does not stand in the way of the
 * server's redirect.
 */
async function look(nl: RouteSocket, snap: Snapshot, o: CheckedUp, blocked: Family[], checked: ReadonlySet<string>) {
  if (!(await nl.getLink(o.iface))) throw new RefusedError(`no such interface: ${o.iface}`);
  const state = snap.state;
  const bypassing = [o.remote, ...snap.peers.map((p) => unmapped(parseAddress(p.address)))];
  // What may be ours: what the state recorded, and what this redirect wants (so that routes of a run whose
  // state is lost are taken over, not duplicated). Looked up one by one: no dump, whatever the table's size.
  const recorded = state?.protocol === o.protocol ? recordedQueries(o.iface, state) : [];
  const matches = new FibMatches(nl);
  const owned = await foundRoutes(
    nl,
    o.protocol,
    [
      ...recorded,
      ...o.families.flatMap((f) => HALVES[f].map((dst) => ({ dst, dev: o.iface }))),
      ...Object.values(o.gateways).map((g) => ({ dst: g, dev: o.iface })),
      ...bypassing.filter((a) => o.families.includes(a.family)).map((a) => ({ dst: a.text })),
    ],
    matches,
  );
  // Fallback routes: those it wants are its own whoever made them; those it wanted before too.
  const wasBlocked = state?.protocol === o.protocol ? blockedByState(state) : [];
  owned.push(...(await fallbackRoutes(nl, o.protocol, [...new Set([...wasBlocked, ...blocked])])));
  // Every address a host route of ours may stand for: no lookup of an original path may go through one.
  const ours = new Set([
    ...bypassing.map((a) => a.text),
    ...(state?.exceptions ?? []).map((e) => e.split('/')[0]),
    ...owned.map((r) => r.dst.split('/')[0]),
  ]);
  const uplinkHint = state?.uplink ?? owned.find((r) => r.dev !== o.iface)?.dev;
  const exceptions: ExceptionPath[] = [];
  const looked = new Set<string>(); // a Set: a mesh has a thousand peers
  for (const address of bypassing) {
    if (!o.families.includes(address.family) || looked.has(address.text)) continue;
    looked.add(address.text);
    const peer = address !== o.remote;
    const path = await exceptionFor(
      nl,
      address,
      o.iface,
      o.protocol,
      uplinkHint,
      ours,
      peer ? 'the peer' : 'the server',
      matches,
    ).catch((e: unknown) => {
      if (!peer || checked.has(address.text) || !(e instanceof RefusedError)) throw e;
    });
    if (path) exceptions.push(path);
  }
  return { owned, exceptions, uplinkHint, gatewayNeedsRoute: await gatewaysNeedingRoute(nl, o) };
}

/**
 * The state goes first, naming the routes this change deletes too: an `up` killed between its state and its
 * routes then leaves nothing that the next run (or another interface's `down`) would misjudge. A failed apply puts
 * the old state back; a successful one drops the leftovers.
 */
async function rememberAndApply(nl: RouteSocket, snap: Snapshot, record: RedirectState, steps: Step[]) {
  const state = snap.state;
  const leftovers = steps
    .filter((s) => s.change.op === 'delete')
    .map((s) => ({ dst: s.change.route.dst, dev: s.change.route.dev }));
  const intent = leftovers.length ? { ...record, leftovers } : record;
  const stateChanges = JSON.stringify(intent) !== JSON.stringify(state);
  if (stateChanges) await writeState(snap.nsId, intent);
  let changes: Change[];
  try {
    changes = await apply(nl, steps);
  } catch (e) {
    if (stateChanges) await (state ? writeState(snap.nsId, state) : removeState(snap.nsId, record.iface));
    throw e;
  }
  if (intent !== record) await writeState(snap.nsId, record);
  return changes;
}

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

  async status(nl, name, state, look) {
    // The lockdown's LAN routes are its own to judge, not the redirect's exceptions.
    const owned = (await ownedRoutes(nl, name, look.protocol, look.elsewhere)).filter((r) => r.metric !== LAN_METRIC);
    // A state file with no routes of ours behind it is stale (its interface went without `down`, say), but for a
    // lockdown's: its table outlives a link flap that took our last route (the exception), as fallbacks do.
    const recorded = owned.length || state?.lockdown ? state : undefined;
    return describeRedirect(nl, name, recorded, owned, look);
  },
};
