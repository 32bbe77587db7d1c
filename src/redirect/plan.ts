// Planning is pure: from what the kernel shows and what is wanted, the route changes to make, each with the
// change that undoes it. Applying an empty plan changes nothing, which is what makes `up` idempotent.
import type { Family } from '../address.js';
import type { Change, Route, RouteSpec, RouteVia } from '../netlink/index.js';

export interface Step {
  change: Change;
  undo: Change;
}

/** Where one exception route goes: the original path to an address the VPN itself must reach. */
export interface ExceptionPath {
  dst: string; // CIDR host route
  gateway?: string;
  /** A gateway of the other family (an IPv4 path via an inet6 gateway), instead of gateway. */
  via?: RouteVia;
  dev: string;
}

export interface UpInput {
  iface: string;
  families: Family[];
  /** The VPN gateway per family (switch style); router style when absent. */
  gateways: Partial<Record<Family, string>>;
  /** Families whose gateway is not on-link on the interface and so needs a host route there. */
  gatewayNeedsRoute: Family[];
  exceptions: ExceptionPath[];
  protocol: number;
  /** The routes of ours that belong to this redirect now. */
  owned: Route[];
  /** Families whose traffic is refused where the VPN does not carry it (the kill switch, --block-ipv6). */
  blocked?: Family[];
  /** Nothing through the VPN (tinc reconnecting under a kill switch): exceptions and fallbacks only. */
  suspended?: boolean;
}

export const HALVES: Record<Family, [string, string]> = {
  4: ['0.0.0.0/1', '128.0.0.0/1'],
  6: ['::/1', '8000::/1'],
};

/**
 * The fallback routes' metric: worse than the half-routes' (0 for IPv4, 1024 for IPv6), so they match only
 * while the half-routes are gone (tincd killed: its device took them along; tinc reconnecting).
 */
export const FALLBACK_METRIC = 65535;

/** The families refused outside the VPN: all of them with a kill switch (IPv6 leaks too), IPv6 when blocked. */
export function blockedFamilies(families: Family[], killSwitch?: boolean, blockIpv6?: boolean): Family[] {
  if (killSwitch) return [4, 6];
  return blockIpv6 && !families.includes(6) ? [6] : [];
}

/** Types that carry no gateway and no device: the kernel refuses the packet itself. */
export const REJECT_TYPES = new Set(['unreachable', 'blackhole', 'prohibit', 'throw']);

/** One of our fallback routes: an unreachable half at FALLBACK_METRIC. */
export function isFallback(route: Route): boolean {
  return route.type === 'unreachable' && route.metric === FALLBACK_METRIC && HALVES[route.family].includes(route.dst);
}

/** The routes a redirect wants, in the order they are added: exceptions first, so the VPN's packets never lose their path. */
export function wantedRoutes(input: UpInput): RouteSpec[] {
  const protocol = input.protocol;
  const routes: RouteSpec[] = input.exceptions.map((e) =>
    e.via ? { dst: e.dst, via: e.via, dev: e.dev, protocol } : { dst: e.dst, gateway: e.gateway, dev: e.dev, protocol },
  );
  for (const family of input.blocked ?? []) {
    for (const dst of HALVES[family]) routes.push({ dst, type: 'unreachable', metric: FALLBACK_METRIC, protocol });
  }
  if (input.suspended) return routes;
  for (const family of input.families) {
    const gateway = input.gateways[family];
    if (gateway && input.gatewayNeedsRoute.includes(family)) routes.push({ dst: gateway, dev: input.iface, protocol });
  }
  for (const family of input.families) {
    for (const dst of HALVES[family]) routes.push({ dst, gateway: input.gateways[family], dev: input.iface, protocol });
  }
  return routes;
}

function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** The kernel's default metric where none is given: 0 for IPv4, 1024 for IPv6. */
function metricOf(route: { dst: string; metric?: number }): number {
  return route.metric ?? (familyOf(route.dst) === 6 ? 1024 : 0);
}

function hostCidr(dst: string): string {
  return dst.includes('/') ? dst : `${dst}/${familyOf(dst) === 6 ? 128 : 32}`;
}

function sameVia(a: RouteVia | undefined, b: RouteVia | undefined): boolean {
  return a === b || (a?.family === b?.family && a?.host === b?.host);
}

function sameRoute(spec: RouteSpec, route: Route): boolean {
  const type = spec.type ?? 'unicast';
  return (
    hostCidr(spec.dst) === route.dst &&
    (spec.gateway ?? undefined) === route.gateway &&
    sameVia(spec.via, route.via) &&
    // The kernel shows IPv6 reject routes on lo; they are given no device.
    (REJECT_TYPES.has(type) || spec.dev === route.dev) &&
    metricOf(spec) === metricOf(route) &&
    route.type === type
  );
}

/** The route's gateway, or its gateway of the other family, into spec. */
function gatewayOf(route: Route, spec: RouteSpec): void {
  if (route.via) spec.via = route.via;
  else if (route.gateway !== undefined) spec.gateway = route.gateway;
}

/** The spec that recreates an observed route exactly. */
export function specOf(route: Route): RouteSpec {
  const spec: RouteSpec = {
    dst: route.dst,
    table: route.table,
    protocol: route.protocol,
    scope: route.scope,
    type: route.type,
  };
  gatewayOf(route, spec);
  if (route.dev !== undefined && !REJECT_TYPES.has(route.type)) spec.dev = route.dev;
  if (route.metric !== undefined) spec.metric = route.metric;
  if (route.prefsrc !== undefined) spec.prefsrc = route.prefsrc;
  return spec;
}

/** Deletes exactly this route of ours: matched on its protocol too, so never a look-alike of the user's. */
function deletionOf(route: Route): RouteSpec {
  const reject = REJECT_TYPES.has(route.type);
  const spec: RouteSpec = reject
    ? { dst: route.dst, type: route.type, protocol: route.protocol, table: route.table }
    : { dst: route.dst, dev: route.dev, protocol: route.protocol, table: route.table };
  gatewayOf(route, spec);
  if (route.metric !== undefined) spec.metric = route.metric;
  return spec;
}

/** Whether every half-route of the redirect is in place through the interface. */
export function halvesInPlace(families: Family[], iface: string, owned: Route[]): boolean {
  return (
    families.length > 0 &&
    families.every((f) => HALVES[f].every((dst) => owned.some((r) => r.dst === dst && r.dev === iface)))
  );
}

export function deleteStep(route: Route): Step {
  return { change: { op: 'delete', route: deletionOf(route) }, undo: { op: 'add', route: specOf(route) } };
}

export function planUp(input: UpInput): Step[] {
  return planRoutes(wantedRoutes(input), input.owned);
}

/** The steps from the routes of ours that are there to the wanted ones: replaced in place, added, then the rest deleted. */
export function planRoutes(wanted: RouteSpec[], owned: readonly Route[]): Step[] {
  const steps: Step[] = [];
  const kept = new Set<Route>();
  for (const spec of wanted) {
    const current = owned.find((r) => r.dst === hostCidr(spec.dst) && metricOf(r) === metricOf(spec));
    if (current && sameRoute(spec, current)) {
      kept.add(current);
    } else if (current) {
      kept.add(current);
      steps.push({ change: { op: 'replace', route: spec }, undo: { op: 'replace', route: specOf(current) } });
    } else {
      steps.push({ change: { op: 'add', route: spec }, undo: { op: 'delete', route: spec } });
    }
  }
  // What is ours but no longer wanted goes last: an old server's exception, a gateway route no longer needed.
  for (const route of owned) if (!kept.has(route)) steps.push(deleteStep(route));
  return steps;
}

/**
 * Half-routes first, then the fallback routes, so the original default route takes over before the
 * exceptions go.
 */
export function planDown(owned: readonly Route[]): Step[] {
  const rank = (r: Route) => (isFallback(r) ? 1 : r.dst.endsWith('/1') ? 0 : 2);
  return [...owned].sort((a, b) => rank(a) - rank(b)).map(deleteStep);
}
