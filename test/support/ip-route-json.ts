// Our Route in the form `ip -j route show table all` prints it (iproute2 6.1, ip/iproute.c print_route), to
// compare every field by ip's names: ip says `default`, drops /32 and /128, hides unicast, main, boot and
// global, prints metrics as a list of one object (without the lock mask) and flags always.
import type { Route } from '../../src/netlink/index.js';

export type IpJsonRoute = Record<string, unknown>;

function ipDst(route: Route): string {
  if (route.dst === '0.0.0.0/0' || route.dst === '::/0') return 'default';
  return route.dst.endsWith(route.family === 6 ? '/128' : '/32') ? route.dst.split('/')[0]! : route.dst;
}

export function asIpJson(route: Route, shownTable?: Route['table']): IpJsonRoute {
  const out: IpJsonRoute = {};
  if (route.type !== 'unicast') out.type = route.type;
  out.dst = ipDst(route);
  if (route.nhid !== undefined) out.nhid = route.nhid;
  if (route.gateway !== undefined) out.gateway = route.gateway;
  if (route.via) out.via = route.via;
  if (route.dev !== undefined) out.dev = route.dev;
  if (route.table !== 'main' && route.table !== shownTable) out.table = String(route.table);
  if (route.protocol !== 'boot') out.protocol = route.protocol;
  if (route.scope !== 'global') out.scope = route.scope;
  if (route.prefsrc !== undefined) out.prefsrc = route.prefsrc;
  if (route.metric !== undefined) out.metric = route.metric;
  out.flags = route.flags ?? [];
  if (route.expires !== undefined) out.expires = route.expires;
  if (route.metrics) {
    const { lock: _lock, ...metrics } = route.metrics;
    out.metrics = [metrics];
  }
  if (route.pref !== undefined) out.pref = route.pref;
  if (route.nexthops) out.nexthops = route.nexthops;
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
