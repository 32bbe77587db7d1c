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
