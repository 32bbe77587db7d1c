// rtnetlink numbers and the names iproute2 gives them (from /usr/include/linux/rtnetlink.h and
// /etc/iproute2/rt_*), both ways.

export const AF_INET = 2;
export const AF_INET6 = 10;

/** The routing protocol number our own routes carry, unused by the kernel and the common routing daemons. */
export const REDIRECT_GATEWAY_PROTOCOL = 157;

function twoWay<T extends Record<string, number>>(names: T) {
  const byNumber = new Map<number, string>(Object.entries(names).map(([k, v]) => [v, k]));
  return {
    numbers: names,
    name: (n: number): string => byNumber.get(n) ?? String(n),
    number: (name: string | number): number | undefined =>
      typeof name === 'number' ? name : /^\d+$/.test(name) ? Number(name) : (names as Record<string, number>)[name],
  };
}

export const tables = twoWay({ unspec: 0, default: 253, main: 254, local: 255 });

export const protocols = twoWay({
  unspec: 0,
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  gated: 8,
  ra: 9,
  mrt: 10,
  zebra: 11,
  bird: 12,
  dnrouted: 13,
  xorp: 14,
  ntk: 15,
  dhcp: 16,
  mrouted: 17,
  keepalived: 18,
  babel: 42,
  openr: 99,
  'redirect-gateway': REDIRECT_GATEWAY_PROTOCOL,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
});

export const scopes = twoWay({ global: 0, site: 200, link: 253, host: 254, nowhere: 255 });

export const routeTypes = twoWay({
  unspec: 0,
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
});

export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

export const operStates = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];
