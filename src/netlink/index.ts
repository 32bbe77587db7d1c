// The netlink layer's face: the only door into src/netlink for the rest of the product (redirect/, cli/,
// demo/), and the `netlink` namespace of the public API. (host.ts, the addon's lock and syslog calls, is the
// other, and is not public.)
export { open, RouteSocket, type OpenOptions } from './socket.js';
export {
  openFirewall,
  FirewallSocket,
  FIREWALL_TABLE,
  FIREWALL_TABLE_COMMENT,
  ForeignTableError,
  type FirewallOptions,
  type FirewallTable,
  type MasqueradeRule,
} from './firewall.js';
export { REDIRECT_GATEWAY_PROTOCOL } from './constants.js';
export { describeSpec } from './describe.js';
export { protocolNumber, scopeNumber, tableNumber } from './route-spec.js';
export { METRIC_ORDER } from './route-extras.js';
export type * from './types.js';
export type { EventStream, WatchOptions, WatchEvent, WatchEventType, WatchAction, RouteInterest } from './watch.js';
export type { SocketEndpoint, SocketFilter, SocketInfo, SocketProtocol, SocketState } from './sockets.js';
