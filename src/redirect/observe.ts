// Reading the kernel's state for a redirect: which routes are ours, and the path to an address as it was
// before the redirect. Only targeted requests: the kernel's own lookups, and (without a state to go by) a dump
// it filters itself.
import { parsePrefix, type Address, type Family } from '../address.js';
import { NetlinkError, RefusedError } from '../errors.js';
import { protocolNumber, type Route, type RouteSocket } from '../netlink/index.js';
import { blockedFamilies, HALVES, isFallback, REJECT_TYPES, type ExceptionPath } from './plan.js';
import { nearestFree } from './probe.js';
import { hostCidr } from './refusal-rules.js';
import type { RedirectState } from './state.js';
import { REFUSAL_PRIORITY } from './strategy-options.js';

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
 * Our routes that belong to the redirect on `iface`, by the kernel's filtered dump of our protocol: the routes
 * through `iface`, and our exception and fallback routes unless the namespace's redirect is on another interface
 * (`elsewhere`: there is one redirect per namespace). For when nothing says which routes to look for (a state
 * file lost or broken).
 */
export async function ownedRoutes(
  nl: RouteSocket,
  iface: string,
  protocol: number,
  elsewhere: boolean,
): Promise<Route[]> {
  const ours = await nl.listRoutes({ table: 'main', protocol });
  return ours.filter(
    (r) => r.dev === iface || (!elsewhere && (isFallback(r) || (isHostRoute(r) && r.dev !== undefined))),
  );
}

export function blockedByState(state: RedirectState) {
  return blockedFamilies(state.families, state.killSwitch, state.blockIpv6);
}

/**
 * Our fallback routes (the kill switch's, --block-ipv6's) of these families. Reject routes are not found by
 * the kernel's lookups (they answer with an error), so this reads our protocol's routes in a filtered dump:
 * only where a redirect has fallback routes (its state or its options say so).
 */
export async function fallbackRoutes(nl: RouteSocket, protocol: number, families: Family[]): Promise<Route[]> {
  if (families.length === 0) return [];
  const routes = await nl.listRoutes({ family: families.length === 1 ? families[0] : undefined, protocol });
  return routes.filter((r) => isFallback(r) && families.includes(r.family));
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
 * table of a million routes as on an empty one. A lookup goes through the policy rules, and a rule of the
 * user's for an address (`to SERVER lookup 200`, `to SERVER unreachable`) hides main's host route for it,
 * where our exception routes live: for those, main's routes of ours are read (a dump the kernel filters).
 */
export async function foundRoutes(
  nl: RouteSocket,
  protocol: number,
  queries: OwnedQuery[],
  matches = new FibMatches(nl),
): Promise<Route[]> {
  const found = await nl.findRoutes(queries.map((q) => ({ ...q, protocol })));
  const missing = queries.filter((q, i) => found[i] === undefined && q.dev === undefined);
  const hidden = await Promise.all(missing.map((q) => mainHidden(matches, q.dst.split('/')[0])));
  const behindRules = new Set(missing.filter((_, i) => hidden[i]).map((q) => parsePrefix(q.dst).cidr));
  if (behindRules.size) {
    found.push(...(await nl.listRoutes({ table: 'main', protocol })).filter((r) => behindRules.has(r.dst)));
  }
  const unique = new Map(found.filter((r): r is Route => r !== undefined).map((r) => [`${r.dst} ${r.dev}`, r]));
  return [...unique.values()];
}

/**
 * The kernel's route matching each address (a fib-match lookup, no device asked), asked once for one look at
 * the tables: the server's is wanted both to tell whether a rule hides main's host route for it and for its
 * original path, and nothing changes the tables in between. A refusal is kept too: each asker handles it.
 */
export class FibMatches {
  readonly #asked = new Map<string, Promise<Route>>();

  constructor(private readonly nl: RouteSocket) {}

  of(address: string): Promise<Route> {
    let match = this.#asked.get(address);
    if (!match) this.#asked.set(address, (match = this.nl.getRoute(address, { fibMatch: true })));
    return match;
  }
}

/** Whether the kernel's lookup of an address is answered by something else than main (a rule, a refusal). */
async function mainHidden(matches: FibMatches, address: string): Promise<boolean> {
  return matches.of(address).then(
    (r) => r.table !== 'main',
    () => true,
  );
}

async function lookup(nl: RouteSocket, address: Address, oif?: string, matches?: FibMatches) {
  const match = await (oif === undefined && matches
    ? matches.of(address.text)
    : nl.getRoute(address.text, { fibMatch: true, oif }));
  const path = await nl.getRoute(address.text, { oif });
  return { match, path };
}

/** What an address is to the redirect, for messages: 'the server', 'the peer'. */
export type Role = 'the server' | 'the peer';

function unreachable(role: Role, address: Address, e: unknown): never {
  const why = e instanceof NetlinkError ? (e.extack ?? e.code) : String(e);
  throw new RefusedError(`no route to ${role} ${address.text} (${why})`);
}

/**
 * A lookup of `address` was refused: whether by a route of ours (the kill switch's fallback, with the
 * half-routes and the exception gone), after which the original path is looked for past it. Refused by
 * anything else (a reject route of the user's in main, or a rule: then main's own answer is not a refusal),
 * the user refuses the address: no exception route may override that.
 */
async function refusedByUs(nl: RouteSocket, address: Address, protocol: number): Promise<boolean> {
  const routes = await nl.listRoutes({ family: address.family, table: 'main' }).catch(() => [] as Route[]);
  const length = (r: Route) => parsePrefix(r.dst).length;
  const best = routes
    .filter((r) => covers(r.dst, address))
    .sort((a, b) => length(b) - length(a) || (a.metric ?? 0) - (b.metric ?? 0))[0];
  return best !== undefined && REJECT_TYPES.has(best.type) && isOurs(best, protocol);
}

/**
 * A refused lookup of `address`: whether our refusal rule refused it (refusal-rules.ts: main has nothing for it
 * but the half-routes, as after a link flap), after which the original path is looked for past it. Ours answers
 * ENETUNREACH, as only an unreachable rule (or no route in any table) does: so not when an unreachable rule of
 * someone else's covering the address comes first. (The rule lookups go through cannot be told to skip ours.)
 */
async function refusedByOurRule(nl: RouteSocket, address: Address, protocol: number, refusal: unknown) {
  if (!(refusal instanceof NetlinkError) || refusal.code !== 'ENETUNREACH') return false;
  const rules = await nl.listRules({ family: address.family });
  const ours = rules.findIndex(
    (r) =>
      protocolNumber(r.protocol) === protocol && r.priority === REFUSAL_PRIORITY + 1 && r.dst === hostCidr(address),
  );
  return (
    ours >= 0 &&
    !rules
      .slice(0, ours)
      .some(
        (r) =>
          r.action === 'unreachable' && protocolNumber(r.protocol) !== protocol && (!r.dst || covers(r.dst, address)),
      )
  );
}

/** How many free neighbours are tried per interface before giving up. */
const PROBES = 4;

function covers(cidr: string, address: Address): boolean {
  const prefix = parsePrefix(cidr);
  if (prefix.family !== address.family) return false;
  for (let bit = 0; bit < prefix.length; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((prefix.bytes[bit >> 3] & mask) !== (address.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

/**
 * The first probe's path through `dev` that is someone else's route and covers `address` too. Where none
 * answers, the kernel's choice is made here from the routes through `dev` (a dump filtered by device): an
 * IPv4 lookup through `dev` ends at the first reject route of the prefix it reaches, and the kill switch's
 * fallback routes share the half-routes' prefixes, so while they stand every such lookup is refused.
 */
async function firstOriginal(nl: RouteSocket, probes: Address[], dev: string, address: Address, protocol: number) {
  for (const probe of probes) {
    const candidate = await lookup(nl, probe, dev).catch(() => undefined);
    if (candidate && !isOurs(candidate.match, protocol) && covers(candidate.match.dst, address)) return candidate;
  }
  const routes = await nl.listRoutes({ family: address.family, table: 'main', dev }).catch(() => [] as Route[]);
  const length = (r: Route) => parsePrefix(r.dst).length;
  const best = routes
    .filter((r) => r.type === 'unicast' && r.dev === dev && !isOurs(r, protocol) && covers(r.dst, address))
    .sort((a, b) => length(b) - length(a) || (a.metric ?? 0) - (b.metric ?? 0))[0];
  return best && { match: best, path: best };
}

/**
 * The exception route an address needs to keep its original path once the half-routes exist, or undefined
 * when a route more specific than /1 (a connected LAN, a static route) will keep carrying it anyway.
 * While our own routes shadow the original path, it is looked up through the uplink (oif), where our
 * half-routes through the VPN interface do not match; and where our own exception route for the address
 * matches, through the nearest addresses that no host route of ours covers (`ours`: every address we may
 * have one for, the server's and the mesh peers' of every redirect here). What answers must be a route of
 * someone else's that covers the address too: the one the address itself would take without ours.
 */
export async function exceptionFor(
  nl: RouteSocket,
  address: Address,
  iface: string,
  protocol: number,
  uplinkHint: string | undefined,
  ours: ReadonlySet<string>,
  role: Role,
  matches: FibMatches,
): Promise<ExceptionPath | undefined> {
  // Refused: a reject route of ours may answer (the kill switch's fallback, once the kernel took the exception
  // route with an address that went away, as in a DHCP roam), so the original path is looked for as below.
  let refusal: unknown;
  let found = await lookup(nl, address, undefined, matches).catch((e: unknown) => void (refusal = e));
  const ourRule = !found && (await refusedByOurRule(nl, address, protocol, refusal));
  if (!found && !ourRule && !(await refusedByUs(nl, address, protocol))) unreachable(role, address, refusal);
  if (!found || isOurs(found.match, protocol)) {
    const match = found?.match;
    // Our rule refuses the address itself whatever the device asked: its neighbours are looked up instead.
    const shadowed = ourRule || (match && isHostRoute(match));
    const probes = shadowed ? nearestFree(address, ours, PROBES) : [address];
    // The likely uplinks first; every other interface only if they fail (a rare path: read the links then).
    const likely = async () => [match?.dev, uplinkHint];
    const others = async () => (await nl.listLinks()).filter((l) => l.up && l.name !== 'lo').map((l) => l.name);
    const tried = new Set<string | undefined>([iface, undefined]);
    let original: { match: Route; path: Route } | undefined;
    for (const devices of [likely, others]) {
      for (const dev of await devices()) {
        if (original || dev === undefined || tried.has(dev)) continue;
        tried.add(dev);
        original = await firstOriginal(nl, probes, dev, address, protocol);
      }
      if (original) break;
    }
    if (!original) unreachable(role, address, refusal ?? 'no path outside the VPN');
    found = original;
  }
  if (found.match.dev === iface) {
    throw new RefusedError(`${role} ${address.text} is routed through ${iface} itself (${found.match.dst})`);
  }
  // A more specific route keeps carrying it; so does a rule that sends it to another table than main's halves.
  if (parsePrefix(found.match.dst).length > 1 || found.match.table !== 'main') return undefined;
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
