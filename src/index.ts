// The public API, all of it: `import { netlink, redirect, server } from 'redirect-gateway'` (docs/api.md). Each
// namespace names what it offers; the rest of src/ is the product's own and may change in any release.
import * as nl from './netlink/index.js';
import * as r from './redirect/index.js';
import * as s from './server/index.js';

export const netlink = {
  open: nl.open,
  openFirewall: nl.openFirewall,
  ForeignTableError: nl.ForeignTableError,
  REDIRECT_GATEWAY_PROTOCOL: nl.REDIRECT_GATEWAY_PROTOCOL,
};

export const redirect = {
  up: r.up,
  arm: r.arm,
  down: r.down,
  suspend: r.suspend,
  status: r.status,
  addPeer: r.addPeer,
  removePeer: r.removePeer,
  follow: r.follow,
};

export const server = { serve: s.serve, unserve: s.unserve, status: s.status };

export { NetlinkError, InvalidInputError, RefusedError } from './errors.js';
export type { ServeOptions, ServeResult, ServerStatus } from './server/index.js';
export type {
  RedirectResult,
  RedirectStatus,
  UpOptions,
  CommonOptions,
  Follower,
  FollowOptions,
  LanPolicy,
} from './redirect/index.js';
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
  RuleChange,
  RuleChangeResult,
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
