// A routing table with what iproute2 shows beyond plain routes, for the tests that compare every field:
// multipath (both families), a nexthop object, metrics, onlink, RTA_VIA, IPv6 preference and expiry, reject
// types, another table, a TOS (named in rt_dsfield and not), realms, an IPv6 source-specific route, the protocols
// ip names and those it does not (ours, 157). In the client of createTunClient / createTunLan (eth0 on the LAN, `vpn` without
// carrier, hence linkdown).
import type { Netns } from './ip.js';
import { ip, ipBatch } from './ip.js';

export const FULL_ROUTES = [
  'nexthop add id 7 via 192.168.1.1 dev eth0',
  'nexthop add id 8 via fd00:1::1 dev eth0',
  'route add 10.20.0.0/16 nhid 7',
  'route add 2001:db8:20::/48 nhid 8',
  'route add 10.21.0.0/16 proto 4 nexthop via 192.168.1.1 dev eth0 weight 3 nexthop via 10.8.0.1 dev vpn',
  'route add 2001:db8:21::/48 nexthop via fd00:1::1 dev eth0 nexthop via fd00:8::1 dev vpn',
  'route add 10.22.0.0/16 via 192.168.1.1 mtu 1400 advmss 1360 initcwnd 10 window 65535 rtt 100ms hoplimit 32',
  'route add 10.23.0.0/16 via 192.168.1.1 mtu lock 1300 initrwnd 20 rto_min 3s congctl cubic',
  'route add 10.24.0.0/16 via 10.99.0.1 dev eth0 onlink',
  'route add 10.25.0.0/16 via inet6 fd00:1::1 dev eth0',
  'route add 2001:db8:22::/48 via fd00:1::1 pref high metric 7',
  'route add 2001:db8:23::/48 via fd00:1::1 expires 600',
  'route add 2001:db8:24::/48 via fd00:1::1 mtu 1300',
  'route add unreachable 198.51.100.0/24',
  'route add prohibit 2001:db8:dead::/48',
  'route add blackhole 203.0.113.0/24 table 100',
  'route add 10.26.0.0/16 table 100 nexthop via 192.168.1.1 dev eth0 nexthop via 10.99.0.1 dev eth0 onlink',
  'route add 10.27.0.0/16 via 192.168.1.1 table 100 metric 9 src 192.168.1.2',
  'route add 2001:db8:25::/48 table 100 nexthop via fd00:1::1 dev eth0 nexthop via fd00:8::1 dev vpn',
  'route add 10.30.0.0/16 tos 0x10 via 192.168.1.1',
  'route add 10.31.0.0/16 tos 0x28 via 192.168.1.1 proto 157',
  'route add 10.32.0.0/16 via 192.168.1.1 realm 5',
  'route add 10.33.0.0/16 via 192.168.1.1 realms 3/0 proto 42',
  'route add 10.34.0.0/16 nexthop via 192.168.1.1 dev eth0 realm 4 nexthop via 10.8.0.1 dev vpn',
  'route add 10.35.0.0/16 via 192.168.1.1 proto 17',
  'route add 10.36.0.0/16 via 192.168.1.1 proto 200 table 100 realm 6',
  'route add 2001:db8:5::/48 from 2001:db8:9::/64 dev eth0',
  'route add 2001:db8:6::/48 from 2001:db8:9::1 via fd00:1::1 proto 157',
  'route add 2001:db8:7::/48 via fd00:1::1 proto 186',
];

/** Rules with what `ip rule` shows beyond plain ones: suppress_ifgroup, realms, a TOS, protocols. */
export const FULL_RULES = [
  'rule add priority 100 lookup main suppress_ifgroup 0',
  'rule add priority 101 from 10.0.0.0/8 lookup 100 realms 2/3',
  'rule add priority 102 lookup 100 realms 7 proto 157',
  'rule add priority 103 tos 0x08 lookup main proto 42',
  'rule add priority 104 tos 0x10 lookup main suppress_prefixlength 0 suppress_ifgroup 5',
  '-6 rule add priority 100 from 2001:db8:9::/64 lookup 100 suppress_ifgroup 0 proto 17',
  '-6 rule add priority 101 lookup main realms 1/0',
];

export async function addFullRoutes(ns: Netns): Promise<void> {
  await ipBatch(ns, FULL_ROUTES);
}

/** One ip call each: a batch file's lines take no -6. */
export async function addFullRules(ns: Netns): Promise<void> {
  for (const rule of FULL_RULES) await ip(ns, ...rule.split(' '));
}
