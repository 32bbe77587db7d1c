// The netlink layer's face: the door into src/netlink for the rest of the product (redirect/, store/, cli/,
// demo/), and the `netlink` namespace of the public API. (host.ts, the addon's lock and syslog calls, is the
// other door, and is not public.)
export { open, RouteSocket, type OpenOptions } from './socket.js';
export {
  describeFilterRules,
  openFirewall,
  FirewallSocket,
  FIREWALL_TABLE,
  FIREWALL_TABLE_COMMENT,
  ForeignTableError,
  LOCKDOWN_TABLE,
  LOCKDOWN_TABLE_COMMENT,
  type FirewallOptions,
  type FirewallTable,
  type LockdownContent,
  type MasqueradeRule,
} from './firewall.js';
export type { FilterRule } from './filter-rule.js';
export { REDIRECT_GATEWAY_PROTOCOL } from './constants.js';
export { describeChange, describeSpec } from './describe.js';
export { metricOrder, protocolNumber, scopeNumber, tableNumber } from './route-spec.js';
export type * from './types.js';
export type { EventStream, WatchOptions, WatchEvent, WatchEventType, WatchAction, RouteInterest } from './watch.js';
export type { SocketEndpoint, SocketFilter, SocketInfo, SocketProtocol, SocketState } from './sockets.js';
