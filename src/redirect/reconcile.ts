// The halves' routes brought to what one redirect wants: look, plan, apply, remember. `up` and the mesh peers'
// changes both end here, so every path plans against the current state and never piles routes up.
import { parseAddress } from '../address.js';
import { RefusedError } from '../errors.js';
import type { Change, RouteSocket } from '../netlink/index.js';
import { apply } from './apply.js';
import {
  blockedByState,
  exceptionFor,
  fallbackRoutes,
  foundRoutes,
  gatewaysNeedingRoute,
  recordedQueries,
} from './observe.js';
import { unmapped, type CheckedUp } from './options.js';
import { blockedFamilies, HALVES, planUp, type ExceptionPath } from './plan.js';
import type { Snapshot } from './snapshot.js';
import { baseRecord, removeState, writeState, type RedirectState } from './state.js';
import type { Made } from './strategy.js';

/**
 * `checked`: the addresses of peers being added, whose refusal (no path outside the VPN) refuses the change.
 * Any other peer that cannot bypass the VPN (its address moved into the VPN's subnet, a route of the user's
 * refuses it) gets no exception route, and does not stand in the way of the server's redirect.
 */
export async function reconcile(
  nl: RouteSocket,
  snap: Snapshot,
  o: CheckedUp,
  checked: ReadonlySet<string> = new Set(),
): Promise<Made> {
  if (!(await nl.getLink(o.iface))) throw new RefusedError(`no such interface: ${o.iface}`);
  const state = snap.state;
  const bypassing = [o.remote, ...snap.peers.map((p) => unmapped(parseAddress(p.address)))];
  const suspended = o.suspended ?? state?.suspended === true;
  const blocked = blockedFamilies(o.families, o.killSwitch, o.blockIpv6);
  // What may be ours: what the state recorded, and what this redirect wants (so that routes of a run whose
  // state is lost are taken over, not duplicated). Looked up one by one: no dump, whatever the table's size.
  const recorded = state?.protocol === o.protocol ? recordedQueries(o.iface, state) : [];
  const owned = await foundRoutes(nl, o.protocol, [
    ...recorded,
    ...o.families.flatMap((f) => HALVES[f].map((dst) => ({ dst, dev: o.iface }))),
    ...Object.values(o.gateways).map((g) => ({ dst: g, dev: o.iface })),
    ...bypassing.filter((a) => o.families.includes(a.family)).map((a) => ({ dst: a.text })),
  ]);
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
      peer ? 'the peer' : undefined,
    ).catch((e: unknown) => {
      if (!peer || checked.has(address.text) || !(e instanceof RefusedError)) throw e;
    });
    if (path) exceptions.push(path);
  }
  const steps = planUp({
    iface: o.iface,
    families: o.families,
    gateways: o.gateways,
    gatewayNeedsRoute: await gatewaysNeedingRoute(nl, o),
    exceptions,
    protocol: o.protocol,
    owned,
    blocked,
    suspended,
  });
  // The state goes first, naming the routes this change deletes too: an `up` killed between its state and
  // its routes then leaves nothing that the next run (or another interface's `down`) would misjudge. A failed
  // apply puts the old state back; a successful one drops the leftovers.
  const record: RedirectState = {
    ...baseRecord(
      o,
      exceptions.map((e) => e.dst),
    ),
    uplink: exceptions[0]?.dev ?? uplinkHint,
    ...(suspended ? { suspended } : {}),
  };
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
    if (stateChanges) await (state ? writeState(snap.nsId, state) : removeState(snap.nsId, o.iface));
    throw e;
  }
  if (intent !== record) await writeState(snap.nsId, record);
  return { changes, state: record };
}
