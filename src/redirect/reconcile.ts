// Bringing the kernel to what one redirect wants: look, plan, apply, remember. `up` and the mesh peers'
// changes both end here, so every path plans against the current state and never piles routes up.
import { parseAddress, type Family } from '../address.js';
import { RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/socket.js';
import type { Change } from '../netlink/types.js';
import { apply } from './apply.js';
import { exceptionFor, findLink, gatewayNeedsRoute, ownedRoutes } from './observe.js';
import type { CheckedUp } from './options.js';
import { planUp, type ExceptionPath } from './plan.js';
import { otherStates, readPeers, readState, removeState, writeState, type RedirectState } from './state.js';

export async function reconcile(nl: RouteSocket, nsId: string, o: CheckedUp): Promise<Change[]> {
  const links = await nl.listLinks();
  if (!findLink(links, o.iface)) throw new RefusedError(`no such interface: ${o.iface}`);
  const [state, others, peers] = await Promise.all([readState(nsId, o.iface), otherStates(nsId, o.iface), readPeers(nsId, o.iface)]);
  const owned = await ownedRoutes(nl, o.iface, o.protocol, others);
  const uplinkHint = state?.uplink ?? owned.find((r) => r.dev !== o.iface)?.dev;
  const exceptions: ExceptionPath[] = [];
  const bypassing = [o.remote, ...peers.map((p) => parseAddress(p.address))];
  for (const address of bypassing) {
    if (!o.families.includes(address.family) || exceptions.some((e) => e.dst.split('/')[0] === address.text)) continue;
    const path = await exceptionFor(nl, address, o.iface, o.protocol, links, uplinkHint);
    if (path) exceptions.push(path);
  }
  const gatewayNeedsRouteIn: Family[] = [];
  for (const family of o.families) {
    const gateway = o.gateways[family];
    if (gateway && (await gatewayNeedsRoute(nl, gateway, o.iface, o.protocol))) gatewayNeedsRouteIn.push(family);
  }
  const steps = planUp({
    iface: o.iface, families: o.families, gateways: o.gateways, gatewayNeedsRoute: gatewayNeedsRouteIn,
    exceptions, protocol: o.protocol, owned,
  });
  // The state goes first: an `up` killed between its routes and its state would leave exception routes
  // that no state claims, and another interface's `down` would take them. A failed apply puts it back.
  const record: RedirectState = {
    version: 1, iface: o.iface, remote: o.remote.text, families: o.families,
    gateways: { 4: o.gateways[4], 6: o.gateways[6] }, protocol: o.protocol,
    exceptions: exceptions.map((e) => e.dst), uplink: exceptions[0]?.dev ?? uplinkHint,
  };
  const stateChanges = JSON.stringify(record) !== JSON.stringify(state);
  if (stateChanges) await writeState(nsId, record);
  let changes: Change[];
  try {
    changes = await apply(nl, steps);
  } catch (e) {
    if (stateChanges) await (state ? writeState(nsId, state) : removeState(nsId, o.iface));
    throw e;
  }
  return changes;
}
