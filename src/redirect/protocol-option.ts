// The routing protocol number our routes carry. `down` deletes every route of it on the redirect's paths, so
// it must be a number no one else's routes carry: not the kernel's, the boot-time and static routes', router
// advertisements', DHCP clients', nor a routing daemon's (iproute2's rt_protos), unless the caller says so.
import { InvalidInputError } from '../errors.js';
import { protocolNumber } from '../netlink/index.js';

/** iproute2's rt_protos: whose routes carry each number. */
const OTHER_OWNERS: Record<number, string> = {
  1: 'redirect (ICMP redirects)',
  2: 'kernel (connected and local routes)',
  3: 'boot (routes made by ip route and at boot)',
  4: 'static (routes an administrator made)',
  8: 'gated',
  9: 'ra (router advertisements)',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp (DHCP clients)',
  17: 'mrouted',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
};

/**
 * The protocol number, refused where it belongs to another owner unless allowForeign says the caller means
 * it. 0 (unspec) matches every route in a delete: never.
 */
export function checkProtocol(value: number | string, allowForeign: unknown): number {
  const n = protocolNumber(value);
  if (n === 0) throw new InvalidInputError('invalid protocol: 0 (unspec) would match every route');
  if (allowForeign !== undefined && typeof allowForeign !== 'boolean') {
    throw new InvalidInputError(`invalid allowForeignProtocol: ${JSON.stringify(allowForeign)} (true or false)`);
  }
  const owner = OTHER_OWNERS[n];
  if (owner !== undefined && !allowForeign) {
    throw new InvalidInputError(
      `invalid protocol: ${n} is ${owner}'s: down would delete their routes too (allowForeignProtocol: true if every route of it is ours)`,
    );
  }
  return n;
}
