// A route as `ip -j route show` prints it (iproute2's ip/iproute.c print_route in JSON): its keys in its
// order, its values ("dst": "default", the table, protocol and scope by ip's names, "flags" always), and
// nothing where ip prints nothing.
import type { Route, RouteFlow, RouteNexthop, Table } from '../netlink/index.js';
import { ipNames } from './iproute2-names.js';
import { dstText, fromText, shownProtocolName, shownScopeName, shownTableName } from './route-text.js';

export type IpJsonRoute = Record<string, unknown>;

function flowJson(flow: RouteFlow): Record<string, string> {
  const to = ipNames().realm(flow.to);
  return flow.from ? { from: ipNames().realm(flow.from), to } : { to };
}

function nexthopJson(nh: RouteNexthop): IpJsonRoute {
  const o: IpJsonRoute = {};
  if (nh.gateway !== undefined) o.gateway = nh.gateway;
  if (nh.via) o.via = nh.via;
  if (nh.flow) o.flow = flowJson(nh.flow);
  o.dev = nh.dev;
  o.weight = nh.weight;
  o.flags = nh.flags;
  return o;
}

/** ip prints every metric but the lock mask, locked ones without a value as 0. */
function metricsJson(metrics: Record<string, number | string>): Record<string, number | string> {
  const { lock: _lock, ...values } = metrics;
  return values;
}

/** The object `ip -j route show` prints for the route; shownTable as for ipRouteText. */
export function ipRouteJson(route: Route, shownTable?: Table): IpJsonRoute {
  const o: IpJsonRoute = {};
  if (route.type !== 'unicast') o.type = route.type;
  o.dst = dstText(route);
  const from = fromText(route);
  if (from !== undefined) o.from = from;
  if (route.nhid !== undefined) o.nhid = route.nhid;
  if (route.tos) o.tos = ipNames().dsfield(route.tos);
  if (route.gateway !== undefined) o.gateway = route.gateway;
  if (route.via) o.via = route.via;
  if (route.dev !== undefined) o.dev = route.dev;
  const table = shownTableName(route, shownTable);
  if (table !== undefined) o.table = table;
  const protocol = shownProtocolName(route);
  if (protocol !== undefined) o.protocol = protocol;
  const scope = shownScopeName(route);
  if (scope !== undefined) o.scope = scope;
  if (route.prefsrc !== undefined) o.prefsrc = route.prefsrc;
  if (route.metric !== undefined) o.metric = route.metric;
  o.flags = route.flags ?? [];
  if (route.mark) o.mark = route.mark;
  if (route.flow) o.flow = flowJson(route.flow);
  if (route.uid !== undefined) o.uid = route.uid;
  if (route.expires !== undefined) o.expires = route.expires;
  if (route.error !== undefined) o.error = route.error;
  if (route.metrics) o.metrics = [metricsJson(route.metrics)];
  if (route.pref !== undefined) o.pref = route.pref;
  if (route.nexthops) o.nexthops = route.nexthops.map(nexthopJson);
  return o;
}

// Names (devices, ip's names) as JSON strings, remembered: a table of a million routes has few of them.
const quoted = new Map<string, string>();
function q(text: string): string {
  let json = quoted.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (quoted.size < 10_000) quoted.set(text, json);
  }
  return json;
}

/** The keys a plain route has (wire.ts RouteDecoder's shape); a route with more has extras (wire.ts RouteExtras). */
const PLAIN_KEYS = 11;

/**
 * ipRouteJson's object as JSON.stringify(list, null, 2) writes it inside a list (the CLI streams a list); a
 * plain route's text is made directly (the common case, a million times in a large table). Addresses need
 * no escaping.
 */
export function ipRouteJsonInList(route: Route, shownTable?: Table): string {
  if (Object.keys(route).length > PLAIN_KEYS) {
    return `  ${JSON.stringify(ipRouteJson(route, shownTable), null, 2).replaceAll('\n', '\n  ')}`;
  }
  let s = route.type !== 'unicast' ? `  {\n    "type": ${q(route.type)},\n    "dst": ` : '  {\n    "dst": ';
  s += `"${dstText(route)}"`;
  if (route.gateway !== undefined) s += `,\n    "gateway": "${route.gateway}"`;
  if (route.dev !== undefined) s += `,\n    "dev": ${q(route.dev)}`;
  const table = shownTableName(route, shownTable);
  if (table !== undefined) s += `,\n    "table": ${q(table)}`;
  const protocol = shownProtocolName(route);
  if (protocol !== undefined) s += `,\n    "protocol": ${q(protocol)}`;
  const scope = shownScopeName(route);
  if (scope !== undefined) s += `,\n    "scope": ${q(scope)}`;
  if (route.prefsrc !== undefined) s += `,\n    "prefsrc": "${route.prefsrc}"`;
  if (route.metric !== undefined) s += `,\n    "metric": ${route.metric}`;
  s += ',\n    "flags": []';
  if (route.pref !== undefined) s += `,\n    "pref": ${q(route.pref)}`;
  return `${s}\n  }`;
}
