// What a redirect looks like in the kernel, and what is wrong with it.
import type { Family } from '../address.js';
import { describeSpec, type Route, type RouteSocket, type Rule } from '../netlink/index.js';
import { HALVES, halvesInPlace } from './plan.js';
import type { RedirectState } from './state.js';

export interface RedirectStatus {
  iface: string;
  /** Every half-route is in place. */
  active: boolean;
  remote?: string;
  families: Family[];
  gateways: string[];
  routes: Route[];
  problems: string[];
  /** Under `--strategy rules`: our table (whose routes `routes` then are), our first priority, our rules. */
  strategy?: 'rules';
  table?: number;
  priority?: number;
  rules?: Rule[];
}

export async function describeRedirect(
  nl: RouteSocket,
  iface: string,
  state: RedirectState | undefined,
  owned: Route[],
  linkExists: boolean,
): Promise<RedirectStatus> {
  const families: Family[] =
    state?.families ?? ([4, 6] as Family[]).filter((f) => owned.some((r) => r.family === f && r.dst.endsWith('/1')));
  const problems: string[] = [];
  if (!linkExists) problems.push(`the interface ${iface} is gone`);
  const active = halvesInPlace(families, iface, owned);
  for (const half of state ? families.flatMap((f) => HALVES[f]) : []) {
    if (!owned.some((r) => r.dst === half && r.dev === iface))
      problems.push(`the half-route ${half} through ${iface} is missing`);
  }
  for (const route of owned.filter((r) => r.dev !== iface)) {
    const problem = await staleException(nl, route);
    if (problem) problems.push(problem);
  }
  for (const dst of state?.exceptions ?? []) {
    if (!owned.some((r) => r.dst === dst)) problems.push(`the exception route ${dst} is missing`);
  }
  const gateways = Object.values(state?.gateways ?? {}).filter((g): g is string => typeof g === 'string');
  return { iface, active, remote: state?.remote, families, gateways, routes: owned, problems };
}

/** An exception route must follow a default route that still exists through the same uplink and gateway. */
async function staleException(nl: RouteSocket, route: Route): Promise<string | undefined> {
  const defaults = (
    await nl.listRoutes({ family: route.family, table: 'main', dev: route.dev! }).catch(() => [] as Route[])
  ).filter((r) => r.dst.endsWith('/0'));
  if (defaults.some((r) => r.gateway === route.gateway)) return undefined;
  const now = defaults.length
    ? `the default route through ${route.dev} now goes ${defaults[0].gateway ? `via ${defaults[0].gateway}` : 'on-link'}`
    : `there is no default route through ${route.dev} any more`;
  return `the exception route ${describeSpec(route)} is stale: ${now}`;
}
