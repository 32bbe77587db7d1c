// Reading the kernel's state for a redirect: which routes are ours, and the path to an address as it was
// before the redirect. Only targeted requests: the kernel's own lookups, and (without a state to go by) a dump
// it filters itself.
import { formatAddress, parsePrefix, type Address, type Family } from '../address.js';
import { NetlinkError, RefusedError } from '../errors.js';
import { protocolNumber, type Route, type RouteSocket } from '../netlink/index.js';
import { HALVES, type ExceptionPath } from './plan.js';
import type { RedirectState } from './state.js';

export function isOurs(route: Route, protocol: number): boolean {
  return protocolNumber(route.protocol) === protocol;
}

function isHostRoute(route: Route): boolean {
  return route.dst.endsWith(route.family === 6 ? '/128' : '/32');
}

/** A route of ours to look for by its destination (and the interface, where it is not a host route). */
export interface OwnedQuery {
  dst: string;
  dev?: string;
}

/**
 * Our routes that belong to the redirect on `iface`, by the kernel's filtered dump of our protocol: the
 * routes through `iface`, and the exception routes no other live redirect of this namespace claims. For
 * when nothing says which routes to look for (a state file lost or broken).
 */
export async function ownedRoutes(
  nl: RouteSocket,
  iface: string,
  protocol: number,
  others: RedirectState[],
): Promise<Route[]> {
  const ours = await nl.listRoutes({ table: 'main', protocol });
  // Only a redirect the kernel shows (its half-routes are there) claims anything: a stale file (a redirect whose
  // interface went without `down`; on a kernel without netns cookies, a deleted namespace's whose inode this one
  // got) must not keep our exception routes from us.
  const live = new Set(ours.filter((r) => r.dst.endsWith('/1')).map((r) => r.dev));
  const alive = others.filter((s) => live.has(s.iface));
  const otherIfaces = new Set(alive.map((s) => s.iface));
  const claimed = new Set(alive.flatMap((s) => s.exceptions));
  return ours.filter(
    (r) => r.dev === iface || (isHostRoute(r) && r.dev !== undefined && !otherIfaces.has(r.dev) && !claimed.has(r.dst)),
  );
}

/** The routes a redirect may own, as its state records them: half-routes, gateway and exception host routes. */
export function recordedQueries(iface: string, state: RedirectState): OwnedQuery[] {
  return [
    ...state.families.flatMap((f) => HALVES[f].map((dst) => ({ dst, dev: iface }))),
    ...Object.values(state.gateways).flatMap((g) => (g ? [{ dst: g, dev: iface }] : [])),
    // A host route is the most specific match for its own address: no device is needed to find it.
    ...state.exceptions.map((dst) => ({ dst })),
    ...(state.leftovers ?? []),
  ];
}

/**
 * Those of the queried routes that the kernel has and that are ours: exact lookups, which cost the same on a
 * table of a million routes as on an empty one.
 */
export async function foundRoutes(nl: RouteSocket, protocol: number, queries: OwnedQuery[]): Promise<Route[]> {
  const found = await nl.findRoutes(queries.map((q) => ({ ...q, protocol })));
  const unique = new Map(found.filter((r): r is Route => r !== undefined).map((r) => [`${r.dst} ${r.dev}`, r]));
  return [...unique.values()];
}

async function lookup(nl: RouteSocket, address: Address, oif?: string): Promise<{ match: Route; path: Route }> {
  const match = await nl.getRoute(address.text, { fibMatch: true, oif });
  const path = await nl.getRoute(address.text, { oif });
  return { match, path };
}

function unreachable(address: Address, e: unknown): never {
  const why = e instanceof NetlinkError ? (e.extack ?? e.code) : String(e);
  throw new RefusedError(`no route to the server ${address.text} (${why})`);
}

/** The address that differs from this one in its last bit: routed alike by every route shorter than a host route. */
function sibling(address: Address): Address {
  const bytes = Uint8Array.from(address.bytes);
  bytes[bytes.length - 1] ^= 1;
  return { family: address.family, bytes, text: formatAddress(address.family, bytes) };
}

/**
 * The exception route an address needs to keep its original path once the half-routes exist, or undefined
 * when a route more specific than /1 (a connected LAN, a static route) will keep carrying it anyway.
 * While our own routes shadow the original path, it is looked up through the uplink (oif), where our
 * half-routes through the VPN interface do not match; and where our own exception route for the address
 * matches, through the address's sibling, which that host route does not cover.
 */
export async function exceptionFor(
  nl: RouteSocket,
  address: Address,
  iface: string,
  protocol: number,
  uplinkHint?: string,
): Promise<ExceptionPath | undefined> {
  let found = await lookup(nl, address).catch((e) => unreachable(address, e));
  if (isOurs(found.match, protocol)) {
    const probe = isHostRoute(found.match) ? sibling(address) : address;
    // The likely uplinks first; every other interface only if they fail (a rare path: read the links then).
    const likely = async () => [found.match.dev, uplinkHint];
    const others = async () => (await nl.listLinks()).filter((l) => l.up && l.name !== 'lo').map((l) => l.name);
    const tried = new Set<string | undefined>([iface, undefined]);
    let original;
    for (const devices of [likely, others]) {
      for (const dev of await devices()) {
        if (original || tried.has(dev)) continue;
        tried.add(dev);
        const candidate = await lookup(nl, probe, dev).catch(() => undefined);
        if (candidate && !isOurs(candidate.match, protocol)) original = candidate;
      }
      if (original) break;
    }
    if (!original) unreachable(address, 'no path outside the VPN');
    found = original;
  }
  if (found.match.dev === iface) {
    throw new RefusedError(`the server ${address.text} is routed through ${iface} itself (${found.match.dst})`);
  }
  if (parsePrefix(found.match.dst).length > 1) return undefined;
  const hostLength = address.family === 6 ? 128 : 32;
  const path: ExceptionPath = { dst: `${address.text}/${hostLength}`, dev: found.path.dev ?? found.match.dev! };
  if (found.path.via) path.via = found.path.via;
  else path.gateway = found.path.gateway;
  return path;
}

/** A switch-style gateway needs a host route on the interface unless a route of someone else's puts it on-link there. */
export async function gatewayNeedsRoute(
  nl: RouteSocket,
  gateway: string,
  iface: string,
  protocol: number,
): Promise<boolean> {
  const match = await nl.getRoute(gateway, { fibMatch: true }).catch(() => undefined);
  return !(match && match.dev === iface && match.gateway === undefined && !isOurs(match, protocol));
}

/** The families whose switch-style gateway needs a host route on the interface. */
export async function gatewaysNeedingRoute(
  nl: RouteSocket,
  o: { families: Family[]; gateways: Partial<Record<Family, string>>; iface: string; protocol: number },
): Promise<Family[]> {
  const families: Family[] = [];
  for (const family of o.families) {
    const gateway = o.gateways[family];
    if (gateway && (await gatewayNeedsRoute(nl, gateway, o.iface, o.protocol))) families.push(family);
  }
  return families;
}
