// A server that learns its IPv6 default route from router advertisements (SLAAC) keeps it when serve turns IPv6
// forwarding on. Turning net/ipv6/conf/all/forwarding on purges every RA-learned default route at once, except on
// interfaces with accept_ra=2 (rt6_purge_dflt_routers), and from then on an interface with accept_ra=1 ignores
// advertisements (a router does not take them). accept_ra=2 takes them while forwarding: serve sets it on the
// interfaces the server is a host on, those that gave it an RA default route and the IPv6 uplink, never on the
// others (a VPN client's advertisement must not become the server's route); unserve puts accept_ra back last.
import { RefusedError } from '../errors.js';
import type { Route, RouteSocket } from '../netlink/index.js';
import { acceptRaSetting, readSetting } from './settings.js';

/** The interfaces of the RA-learned IPv6 default routes (few: the kernel filters the dump by protocol). */
async function advertisedDefaults(nl: RouteSocket): Promise<Set<string>> {
  const routes = await nl.listRoutes({ family: 6, table: 'all', protocol: 'ra' });
  const devices = (r: Route) => (r.dev !== undefined ? [r.dev] : (r.nexthops ?? []).map((n) => n.dev));
  return new Set(routes.filter((r) => r.dst === '::/0').flatMap(devices));
}

/**
 * The interfaces whose accept_ra goes 1 -> 2 before IPv6 forwarding is turned on. Refuses where forwarding would
 * drop an RA-learned default route that accept_ra=2 cannot keep without taking advertisements the administrator
 * turned off (accept_ra=0).
 */
export async function interfacesToKeepAdvertised(nl: RouteSocket, uplink: string | undefined): Promise<string[]> {
  const advertised = await advertisedDefaults(nl);
  const candidates = new Set([...advertised, ...(uplink === undefined ? [] : [uplink])]);
  const keep: string[] = [];
  for (const dev of candidates) {
    const acceptRa = await readSetting(nl, acceptRaSetting(dev));
    if (acceptRa === '1') keep.push(dev);
    else if (acceptRa !== '2' && advertised.has(dev)) {
      throw new RefusedError(
        `IPv6 forwarding would drop the default route ${dev} learned from router advertisements ` +
          `(net.ipv6.conf.${dev}.accept_ra is ${acceptRa ?? 'missing'}): set it to 2, or give the server a ` +
          'static IPv6 default route, then serve again',
      );
    }
  }
  return keep;
}
