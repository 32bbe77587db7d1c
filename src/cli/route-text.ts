// A route as `ip route show` prints it, byte for byte (iproute2's ip/iproute.c print_route: its order, its
// words, its trailing spaces, a multipath route's "\n\tnexthop" lines), numbers named as ip names them.
import {
  metricOrder,
  protocolNumber,
  scopeNumber,
  tableNumber,
  type Route,
  type RouteFlow,
  type RouteNexthop,
  type RouteVia,
  type Table,
} from '../netlink/index.js';
import { ipNames } from './iproute2-names.js';

function gatewayText(gateway: string | undefined, via: RouteVia | undefined): string {
  return (gateway ? `via ${gateway} ` : '') + (via ? `via ${via.family} ${via.host} ` : '');
}

function flagsText(flags: readonly string[] | undefined): string {
  return flags ? flags.map((f) => `${f} `).join('') : '';
}

function timeText(ms: number): string {
  return ms >= 1000 ? `${ms / 1e3}s ` : `${ms}ms `;
}

function metricsText(metrics: Record<string, number | string>): string {
  const lock = typeof metrics.lock === 'number' ? metrics.lock : 0;
  let s = '';
  for (const [type, name] of metricOrder()) {
    const key = name === 'congctl' ? 'congestion' : name;
    const value = metrics[key];
    const locked = (lock & (2 ** type)) !== 0;
    if (value === undefined && !locked) continue;
    s += `${name} ${locked ? 'lock ' : ''}`;
    if (name === 'rtt' || name === 'rttvar' || name === 'rto_min') s += timeText(Number(value ?? 0));
    else if (name === 'features' && typeof value === 'number' && value & 1)
      s += value === 1 ? 'ecn ' : `ecn 0x${value.toString(16)} `;
    else if (name === 'features' && typeof value === 'number') s += `0x${value.toString(16)} `;
    else s += `${value ?? 0} `;
  }
  return s;
}

/** RTA_FLOW as ip prints it: "realm TO " or "realms FROM/TO ". */
function flowText(flow: RouteFlow): string {
  return flow.from
    ? `realms ${ipNames().realm(flow.from)}/${ipNames().realm(flow.to)} `
    : `realm ${ipNames().realm(flow.to)} `;
}

function nexthopText(nh: RouteNexthop): string {
  const flow = nh.flow ? flowText(nh.flow) : '';
  return `\n\tnexthop ${gatewayText(nh.gateway, nh.via)}${flow}dev ${nh.dev} weight ${nh.weight} ${flagsText(nh.flags)}`;
}

/** A prefix as ip prints dst and from: `default` for /0 (dst only), the bare address for a host. */
function prefixText(route: Route, prefix: string): string {
  return prefix.endsWith(route.family === 6 ? '/128' : '/32') ? prefix.split('/')[0] : prefix;
}

export function dstText(route: Route): string {
  return route.dst === '0.0.0.0/0' || route.dst === '::/0' ? 'default' : prefixText(route, route.dst);
}

/** A source-specific route's `from` (RTA_SRC), as ip prints it. */
export function fromText(route: Route): string | undefined {
  return route.src === undefined ? undefined : prefixText(route, route.src);
}

/** The table's name as ip prints it, or undefined where ip does not name it (main, or the table shown). */
export function shownTableName(route: Route, shownTable: Table | undefined): string | undefined {
  if (route.table === 'main' || route.table === shownTable) return undefined;
  return ipNames().table(typeof route.table === 'number' ? route.table : tableNumber(route.table));
}

/**
 * `f(value)`, remembered per value (for pure functions): a table of a million routes has a handful of protocols
 * and scopes, and a listing asks for each route's.
 */
function remembered<K, V>(f: (value: K) => V): (value: K) => V {
  const seen = new Map<K, V>();
  return (value) => {
    let result = seen.get(value);
    if (result === undefined) seen.set(value, (result = f(value)));
    return result;
  };
}

// The numbers only: ip's names for them can change while we print (ipNames() reads its files when first asked
// for a number that has no built-in name, and a file may rename a built-in one).
const protocolOf = remembered(protocolNumber);
const scopeOf = remembered(scopeNumber);

/** The protocol's name as ip prints it (rt_protos), or undefined for boot, which ip leaves out. */
export function shownProtocolName(route: Route): string | undefined {
  const n = protocolOf(route.protocol);
  return n === 3 ? undefined : ipNames().protocol(n);
}

/** The scope's name as ip prints it (rt_scopes), or undefined for global, which ip leaves out. */
export function shownScopeName(route: Route): string | undefined {
  const n = scopeOf(route.scope);
  return n === 0 ? undefined : ipNames().scope(n);
}

/**
 * The route's text as `ip route show` prints it, without the final newline. shownTable is the table that
 * was asked for (ip does not name it); routes of the main table are never named either.
 */
export function ipRouteText(route: Route, shownTable?: Table): string {
  let s = route.type !== 'unicast' ? `${route.type} ` : '';
  s += `${dstText(route)} `;
  const from = fromText(route);
  if (from !== undefined) s += `from ${from} `;
  if (route.nhid !== undefined) s += `nhid ${route.nhid} `;
  if (route.tos) s += `tos ${ipNames().dsfield(route.tos)} `;
  s += gatewayText(route.gateway, route.via);
  if (route.dev !== undefined) s += `dev ${route.dev} `;
  const table = shownTableName(route, shownTable);
  if (table !== undefined) s += `table ${table} `;
  const protocol = shownProtocolName(route);
  if (protocol !== undefined) s += `proto ${protocol} `;
  const scope = shownScopeName(route);
  if (scope !== undefined) s += `scope ${scope} `;
  if (route.prefsrc !== undefined) s += `src ${route.prefsrc} `;
  if (route.metric !== undefined) s += `metric ${route.metric} `;
  s += flagsText(route.flags);
  if (route.mark) s += route.mark >= 16 ? `mark 0x${route.mark.toString(16)} ` : `mark ${route.mark} `;
  if (route.flow) s += flowText(route.flow);
  if (route.uid !== undefined) s += `uid ${route.uid} `;
  if (route.expires !== undefined) s += `expires ${route.expires}sec `;
  if (route.error !== undefined) s += `error ${route.error} `;
  if (route.metrics) s += metricsText(route.metrics);
  if (route.pref !== undefined) s += `pref ${route.pref}`;
  if (route.nexthops) s += route.nexthops.map(nexthopText).join('');
  return s;
}
