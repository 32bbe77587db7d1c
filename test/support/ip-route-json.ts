// Our Route in the form `ip -N -j route show` prints it (iproute2 6.1, ip/iproute.c print_route, numbers
// for names: no name table plays a part), to compare every field of the API's routes by ip's names: ip says
// `default`, drops /32 and /128, hides unicast, main, boot and global, prints metrics as a list of one object
// (without the lock mask), TOS as 0x%02x, and flags always.
import { protocolNumber, scopeNumber, tableNumber, type Route, type RouteFlow } from '../../src/netlink/index.js';

export type IpJsonRoute = Record<string, unknown>;

function ipPrefix(route: Route, prefix: string): string {
  if (prefix === '0.0.0.0/0' || prefix === '::/0') return 'default';
  return prefix.endsWith(route.family === 6 ? '/128' : '/32') ? prefix.split('/')[0]! : prefix;
}

/** rtm_type by number (linux/rtnetlink.h), as ip -N prints it. */
const TYPES = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
];

function ipFlow(flow: RouteFlow): Record<string, string> {
  return flow.from ? { from: String(flow.from), to: String(flow.to) } : { to: String(flow.to) };
}

/** The route as `ip -N -j route show` prints it; shownTable: the table ip was asked for (it does not name it). */
export function asIpJson(route: Route, shownTable?: Route['table']): IpJsonRoute {
  const out: IpJsonRoute = {};
  if (route.type !== 'unicast') out.type = String(TYPES.indexOf(route.type));
  out.dst = ipPrefix(route, route.dst);
  if (route.src !== undefined) out.from = ipPrefix(route, route.src);
  if (route.nhid !== undefined) out.nhid = route.nhid;
  if (route.tos) out.tos = `0x${route.tos.toString(16).padStart(2, '0')}`;
  if (route.gateway !== undefined) out.gateway = route.gateway;
  if (route.via) out.via = route.via;
  if (route.dev !== undefined) out.dev = route.dev;
  if (route.table !== 'main' && route.table !== shownTable) out.table = String(tableNumber(route.table));
  if (route.protocol !== 'boot') out.protocol = String(protocolNumber(route.protocol));
  if (route.scope !== 'global') out.scope = String(scopeNumber(route.scope));
  if (route.prefsrc !== undefined) out.prefsrc = route.prefsrc;
  if (route.metric !== undefined) out.metric = route.metric;
  out.flags = route.flags ?? [];
  if (route.flow) out.flow = ipFlow(route.flow);
  if (route.expires !== undefined) out.expires = route.expires;
  if (route.metrics) {
    const { lock: _lock, ...metrics } = route.metrics;
    out.metrics = [metrics];
  }
  if (route.pref !== undefined) out.pref = route.pref;
  if (route.nexthops) {
    out.nexthops = route.nexthops.map(({ flow, ...nexthop }) => (flow ? { ...nexthop, flow: ipFlow(flow) } : nexthop));
  }
  return out;
}

/** Expiry counts down: ours must lie between ip's view before and after (and is then set to ip's). */
export function alignExpiry(ours: IpJsonRoute[], before: IpJsonRoute[], after: IpJsonRoute[]): void {
  ours.forEach((route, i) => {
    const [hi, lo] = [before[i]?.expires, after[i]?.expires];
    if (typeof route.expires === 'number' && typeof hi === 'number' && typeof lo === 'number') {
      if (route.expires <= hi && route.expires >= lo) route.expires = hi;
    }
  });
}
