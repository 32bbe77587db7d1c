// The uplink: the interface the kernel would send the clients' internet traffic out of. Asked as `ip route get`
// does, for a documentation address (RFC 5737 / RFC 3849): no network routes those specially, so the answer is
// the route that carries everything else (the default route, or what policy routing picks instead of it),
// found by a lookup that costs the same with a full BGP table as with ten routes, unlike reading the table.
import type { Family } from '../address.js';
import { NetlinkError, RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';

export const UPLINK_PROBE: Record<Family, string> = { 4: '192.0.2.1', 6: '2001:db8::1' };

export interface Uplink {
  dev: string;
  /** How it was found: 'given', or 'route to 192.0.2.1'. */
  how: string;
}

/** The uplink for the family, or undefined when the kernel has no route to the internet for it. */
export async function findUplink(nl: RouteSocket, family: Family, vpn: string): Promise<Uplink | undefined> {
  const probe = UPLINK_PROBE[family];
  let route;
  try {
    route = await nl.getRoute(probe);
  } catch (e) {
    if (e instanceof NetlinkError) return undefined; // no route: no internet for this family
    throw e;
  }
  if (route.type !== 'unicast' || route.dev === undefined || route.dev === 'lo') return undefined;
  if (route.dev === vpn) {
    throw new RefusedError(
      `the route to the internet (to ${probe}) leaves by the VPN interface ${vpn}: give --uplink DEV`,
    );
  }
  return { dev: route.dev, how: `route to ${probe}` };
}
