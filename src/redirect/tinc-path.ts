// The path of tinc's own packets to its server or a mesh peer. Under `--strategy rules` only they keep main's
// path (the exception's rules match TCP and UDP to tinc's port): a lookup of the bare address answers for the
// server's other traffic, which goes through the VPN. Asked as `ip route get ADDR ipproto udp dport PORT`.
import type { Route, RouteSocket } from '../netlink/index.js';

export function tincPath(nl: RouteSocket, address: string, port: number): Promise<Route> {
  return nl.getRoute(address, { ipProto: 'udp', dport: port });
}
