// A route as `ip route show` prints it, byte for byte (iproute2's ip/iproute.c print_route: its order, its
// words, its trailing spaces, a multipath route's "\n\tnexthop" lines), with our protocol named.
import { METRIC_ORDER, type Route, type RouteNexthop, type RouteVia, type Table } from '../netlink/index.js';

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
  for (const [type, name] of METRIC_ORDER) {
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

function nexthopText(nh: RouteNexthop): string {
  return `\n\tnexthop ${gatewayText(nh.gateway, nh.via)}dev ${nh.dev} weight ${nh.weight} ${flagsText(nh.flags)}`;
}

function dstText(route: Route): string {
  if (route.dst === '0.0.0.0/0' || route.dst === '::/0') return 'default';
  return route.dst.endsWith(route.family === 6 ? '/128' : '/32') ? route.dst.split('/')[0] : route.dst;
}

/**
 * The route's text as `ip route show` prints it, without the final newline. shownTable is the table that
 * was asked for (ip does not name it); routes of the main table are never named either.
 */
export function ipRouteText(route: Route, shownTable?: Table): string {
  let s = route.type !== 'unicast' ? `${route.type} ` : '';
  s += `${dstText(route)} `;
  if (route.nhid !== undefined) s += `nhid ${route.nhid} `;
  s += gatewayText(route.gateway, route.via);
  if (route.dev !== undefined) s += `dev ${route.dev} `;
  if (route.table !== 'main' && route.table !== shownTable) s += `table ${route.table} `;
  if (route.protocol !== 'boot') s += `proto ${route.protocol} `;
  if (route.scope !== 'global') s += `scope ${route.scope} `;
  if (route.prefsrc !== undefined) s += `src ${route.prefsrc} `;
  if (route.metric !== undefined) s += `metric ${route.metric} `;
  s += flagsText(route.flags);
  if (route.mark) s += route.mark >= 16 ? `mark 0x${route.mark.toString(16)} ` : `mark ${route.mark} `;
  if (route.uid !== undefined) s += `uid ${route.uid} `;
  if (route.expires !== undefined) s += `expires ${route.expires}sec `;
  if (route.error !== undefined) s += `error ${route.error} `;
  if (route.metrics) s += metricsText(route.metrics);
  if (route.pref !== undefined) s += `pref ${route.pref}`;
  if (route.nexthops) s += route.nexthops.map(nexthopText).join('');
  return s;
}
