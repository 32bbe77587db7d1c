// The gateway redirect, read top to bottom: validate, look, plan, apply, remember.
//   up:     exception routes for the server (its original path), then 0/1 + 128/1 (or ::/1 + 8000::/1)
//           through the VPN interface, so the original default route is shadowed, never touched.
//   down:   our routes for that interface go, whatever the server's address is now.
//   status: what the kernel shows, and what is wrong with it.
import type { Family } from '../address.js';
import { RefusedError } from '../errors.js';
import { describeSpec, open, type RouteSocket } from '../netlink/socket.js';
import type { Change, Route } from '../netlink/types.js';
import { apply } from './apply.js';
import { withLock } from './lock.js';
import { exceptionFor, findLink, gatewayNeedsRoute, ownedRoutes } from './observe.js';
import { checkCommon, checkUp, type CommonOptions, type UpOptions } from './options.js';
import { HALVES, planDown, planUp, type ExceptionPath } from './plan.js';
import { namespaceId, otherStates, readState, removeState, writeState, type RedirectState } from './state.js';
import { checkInterfaceName } from '../names.js';

export type { UpOptions, CommonOptions } from './options.js';

export interface RedirectResult {
  iface: string;
  /** The changes made, in order; empty when the table already was as wanted. */
  changes: Change[];
}

export interface RedirectStatus {
  iface: string;
  /** Every half-route is in place. */
  active: boolean;
  remote?: string;
  families: Family[];
  gateways: string[];
  routes: Route[];
  problems: string[];
}

async function withSocket<T>(netns: string | undefined, work: (nl: RouteSocket, nsId: string) => Promise<T>): Promise<T> {
  const nl = await open({ netns });
  try {
    return await work(nl, await namespaceId(netns));
  } finally {
    nl.close();
  }
}

export async function up(iface: string, remote: string, options: UpOptions = {}): Promise<RedirectResult> {
  const o = checkUp(iface, remote, options);
  return withSocket(o.netns, (nl, nsId) =>
    withLock(nsId, o.iface, async () => {
      const links = await nl.listLinks();
      if (!findLink(links, o.iface)) throw new RefusedError(`no such interface: ${o.iface}`);
      const [state, others] = await Promise.all([readState(nsId, o.iface), otherStates(nsId, o.iface)]);
      const owned = await ownedRoutes(nl, o.iface, o.protocol, others);
      const uplinkHint = state?.uplink ?? owned.find((r) => r.dev !== o.iface)?.dev;
      const exceptions: ExceptionPath[] = [];
      if (o.families.includes(o.remote.family)) {
        const path = await exceptionFor(nl, o.remote, o.iface, o.protocol, links, uplinkHint);
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
      const changes = await apply(nl, steps);
      const record: RedirectState = {
        version: 1, iface: o.iface, remote: o.remote.text, families: o.families,
        gateways: { 4: o.gateways[4], 6: o.gateways[6] }, protocol: o.protocol,
        exceptions: exceptions.map((e) => e.dst), uplink: exceptions[0]?.dev ?? uplinkHint,
      };
      await writeState(nsId, record);
      return { iface: o.iface, changes };
    }),
  );
}

export async function down(iface: string, options: CommonOptions = {}): Promise<RedirectResult> {
  const o = checkCommon(options);
  const name = checkInterfaceName(iface);
  return withSocket(o.netns, (nl, nsId) =>
    withLock(nsId, name, async () => {
      const owned = await ownedRoutes(nl, name, o.protocol, await otherStates(nsId, name));
      const changes = await apply(nl, planDown(owned));
      await removeState(nsId, name);
      return { iface: name, changes };
    }),
  );
}

export async function status(iface: string, options?: CommonOptions): Promise<RedirectStatus>;
export async function status(iface?: undefined, options?: CommonOptions): Promise<RedirectStatus[]>;
export async function status(iface?: string, options: CommonOptions = {}): Promise<RedirectStatus | RedirectStatus[]> {
  const o = checkCommon(options);
  if (iface !== undefined) checkInterfaceName(iface);
  return withSocket(o.netns, async (nl, nsId) => {
    const links = await nl.listLinks();
    const states = await otherStates(nsId, '');
    const ours = await nl.listRoutes({ table: 'main', protocol: o.protocol });
    const names = iface !== undefined ? [iface] : [...new Set([...states.map((s) => s.iface), ...ours.filter((r) => r.dst.endsWith('/1')).map((r) => r.dev!)])].sort();
    const result = [];
    for (const name of names) {
      const others = states.filter((s) => s.iface !== name);
      const owned = await ownedRoutes(nl, name, o.protocol, others);
      result.push(await describeRedirect(nl, name, states.find((s) => s.iface === name), owned, links.some((l) => l.name === name)));
    }
    return iface !== undefined ? result[0] : result;
  });
}

async function describeRedirect(
  nl: RouteSocket, iface: string, state: RedirectState | undefined, owned: Route[], linkExists: boolean,
): Promise<RedirectStatus> {
  const families: Family[] = state?.families ?? ([4, 6] as Family[]).filter((f) => owned.some((r) => r.family === f && r.dst.endsWith('/1')));
  const problems: string[] = [];
  if (!linkExists) problems.push(`the interface ${iface} is gone`);
  let active = families.length > 0;
  for (const family of families) {
    for (const half of HALVES[family]) {
      if (!owned.some((r) => r.dst === half && r.dev === iface)) {
        active = false;
        if (state) problems.push(`the half-route ${half} through ${iface} is missing`);
      }
    }
  }
  for (const route of owned.filter((r) => r.dev !== iface)) {
    const problem = await staleException(nl, route);
    if (problem) problems.push(problem);
  }
  if (state && state.exceptions.some((dst) => !owned.some((r) => r.dst === dst))) {
    problems.push(`the exception route for the server ${state.remote} is missing`);
  }
  const gateways = Object.values(state?.gateways ?? {}).filter((g): g is string => typeof g === 'string');
  return { iface, active, remote: state?.remote, families, gateways, routes: owned, problems };
}

/** An exception route must follow a default route that still exists through the same uplink and gateway. */
async function staleException(nl: RouteSocket, route: Route): Promise<string | undefined> {
  const defaults = (await nl.listRoutes({ family: route.family, table: 'main', dev: route.dev! }).catch(() => [] as Route[]))
    .filter((r) => r.dst.endsWith('/0'));
  if (defaults.some((r) => r.gateway === route.gateway)) return undefined;
  const now = defaults.length ? `the default route through ${route.dev} now goes ${defaults[0].gateway ? `via ${defaults[0].gateway}` : 'on-link'}` : `there is no default route through ${route.dev} any more`;
  return `the exception route ${describeSpec(route)} is stale: ${now}`;
}
