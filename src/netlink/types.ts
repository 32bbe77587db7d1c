import type { Family } from '../address.js';

export type TableName = 'main' | 'local' | 'default';
export type Table = TableName | number;

/** A route as the kernel reports it. Names are iproute2's; numbers stand where iproute2 has no name. */
export interface Route {
  family: Family;
  table: Table;
  /** Always CIDR: '0.0.0.0/0' for a default route, '/32' or '/128' for a host route. */
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  protocol: string;
  scope: string;
  type: string;
  prefsrc?: string;
  /** A source-specific route's source prefix (RTA_SRC, rtm_src_len), CIDR like dst: `ip route ... from`. */
  src?: string;
  /** The TOS (DS field) the route matches (rtm_tos), where not 0. */
  tos?: number;
  /** The route's realms (RTA_FLOW), as `ip -j route` names them: from only where not 0. */
  flow?: RouteFlow;
  /** IPv6 router preference (RTA_PREF): low, medium, high, or the number. */
  pref?: string;
  /** Next hops of a multipath route (RTA_MULTIPATH). */
  nexthops?: RouteNexthop[];
  /** The nexthop object the route uses (RTA_NH_ID). */
  nhid?: number;
  /** A gateway of the other family (RTA_VIA), e.g. an IPv4 route via an inet6 gateway. */
  via?: RouteVia;
  /**
   * RTA_METRICS by iproute2's names (mtu, advmss, window, rtt, rttvar, ssthresh, cwnd, reordering, hoplimit,
   * initcwnd, features, rto_min, initrwnd, quickack, fastopen_no_cookie; "metric N" for an unnamed one), values
   * as `ip -j` prints them (rtt in ms); congestion is the congestion control's name. lock is the mask of
   * locked metrics (1 << RTAX_*), which `ip -j` does not show.
   */
  metrics?: Record<string, number | string>;
  /** rtm_flags by iproute2's names: dead, onlink, pervasive, offload, trap, notify, linkdown, unresolved, ... */
  flags?: string[];
  /** Seconds before the route expires (RTA_CACHEINFO). */
  expires?: number;
  /** RTA_CACHEINFO's error, where not 0. */
  error?: number;
  /** RTA_UID (route lookups). */
  uid?: number;
  /** RTA_MARK (route lookups). */
  mark?: number;
  /** Types of the attributes the route carried that were not decoded (or were malformed), in order. */
  undecoded?: number[];
}

export interface RouteFlow {
  from?: number;
  to: number;
}

export interface RouteVia {
  family: 'inet' | 'inet6';
  host: string;
}

/** One next hop of a multipath route, as `ip -j route` names it. */
export interface RouteNexthop {
  gateway?: string;
  via?: RouteVia;
  dev: string;
  /** As ip prints it: rtnh_hops + 1. */
  weight: number;
  flags: string[];
  /** The next hop's realms (RTA_FLOW). */
  flow?: RouteFlow;
}

/** A route to add, replace or delete. For a delete, only the fields given are matched. */
export interface RouteSpec {
  /** CIDR or a bare address (a host route). */
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  table?: Table;
  protocol?: string | number;
  scope?: string | number;
  type?: string;
  prefsrc?: string;
  /** A multipath route's next hops (RTA_MULTIPATH); such a route has no gateway, via or dev of its own. */
  nexthops?: RouteSpecNexthop[];
  /**
   * RTA_METRICS by Route.metrics's names, values as `ip route` takes them (rtt and rttvar in ms); congestion
   * is a congestion control's name, lock the mask of locked metrics (as Route.metrics.lock) or their names.
   */
  metrics?: Record<string, number | string | string[]>;
  /** Only ['onlink'] (RTNH_F_ONLINK): the gateway is on the device's link; needs dev. */
  flags?: string[];
  /** A gateway of the other family than dst's (RTA_VIA), e.g. { family: 'inet6', host: 'fe80::1' }. */
  via?: RouteVia;
  /** The nexthop object to use (RTA_NH_ID); no gateway, via, dev or nexthops with it. */
  nhid?: number;
}

/** One next hop of a RouteSpec: a gateway (or a via) and/or a device; weight 1 to 256, 1 by default. */
export interface RouteSpecNexthop {
  gateway?: string;
  via?: RouteVia;
  dev?: string;
  weight?: number;
  flags?: string[];
}

export interface Link {
  index: number;
  name: string;
  up: boolean;
  /** The carrier is up (IFF_LOWER_UP). */
  lowerUp: boolean;
  operstate: string;
  mtu: number;
}

export interface ListRoutesOptions {
  family?: Family;
  /** 'main' by default; 'all' for every table. */
  table?: Table | 'all';
  /** Only routes of this protocol (filtered by the kernel). */
  protocol?: string | number;
  /** Only routes through this interface (filtered by the kernel). */
  dev?: string;
}

export interface GetRouteOptions {
  /** Return the routing table entry that matched (like `ip route get fibmatch`), not the resolved path. */
  fibMatch?: boolean;
  /** Look up as if the packet had to leave through this interface (like `ip route get ... oif DEV`). */
  oif?: string;
  /** The packet's IP protocol and destination port (like `ip route get ... ipproto udp dport 655`), for rules that match on them. */
  ipProto?: 'tcp' | 'udp';
  dport?: number;
}

export type ChangeOp = 'add' | 'replace' | 'delete';

export interface Change {
  op: ChangeOp;
  route: RouteSpec;
}

export interface ChangeResult {
  change: Change;
  /** Present when the kernel refused this change. */
  error?: import('../errors.js').NetlinkError;
}

export interface BulkChangeOptions {
  /** Changes per send to the kernel's side of the pipeline; 16384 by default. */
  chunkSize?: number;
}

export interface BulkChangeResult {
  /** Changes sent to the kernel (taken or refused). */
  applied: number;
  /** How many the kernel refused. */
  failed: number;
  /** The refused changes with their errors, in order. */
  failures: ChangeResult[];
}

/** An exact route to look for (RouteSocket.findRoutes). */
export interface RouteQuery {
  /** CIDR or a bare address (a host route). */
  dst: string;
  dev?: string;
  protocol?: string | number;
  metric?: number;
  table?: Table;
}

export type * from './rule-types.js';
export type * from './address-types.js';
export type { LinkSettings } from './link-settings.js';
