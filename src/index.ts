// The public API: `import { netlink, redirect } from 'redirect-gateway'`.
export * as netlink from './netlink/index.js';
export * as redirect from './redirect/index.js';
export * as server from './server/index.js';
export type { ServeOptions, ServeResult, ServerStatus } from './server/index.js';
export type { RedirectResult, RedirectStatus, UpOptions, CommonOptions } from './redirect/index.js';
export { NetlinkError, InvalidInputError, RefusedError } from './errors.js';
export type { DnsOptions, DnsStatus } from './dns/index.js';
export type {
  Route,
  RouteSpec,
  RouteQuery,
  Link,
  Table,
  ListRoutesOptions,
  GetRouteOptions,
  Change,
  ChangeResult,
  BulkChangeOptions,
  BulkChangeResult,
  Rule,
  RuleSpec,
  RuleAction,
  ListRulesOptions,
  Address,
  AddressSpec,
  ListAddressesOptions,
  LinkSettings,
  SocketFilter,
  SocketInfo,
} from './netlink/index.js';
export type { RouteSocket, OpenOptions, FirewallSocket, FirewallOptions, MasqueradeRule } from './netlink/index.js';
export type { EventStream, WatchOptions, WatchEvent, WatchEventType, RouteInterest } from './netlink/index.js';
