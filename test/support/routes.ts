// Comparing our Route objects with iproute2's view of the same routes.
//
// The two sides speak differently: `ip -j route show` says dst "default" and "10.0.0.1" where we say
// '0.0.0.0/0' and '10.0.0.1/32', leaves out `table` for the table it was asked for, hides `proto boot`,
// `scope global` and `type unicast` unless given -d, and names protocol 157 "157" where we say
// 'redirect-gateway'. So both sides are normalized to one form, with every enumerated field as the
// kernel's number:
//   { family, table, dst (CIDR), gateway?, dev?, metric?, protocol, scope, type, prefsrc? }
// The oracle side is read with `ip -d -N -j` (details, numbers), so iproute2's name tables play no part;
// our side's names are turned into numbers with the tables below, taken from <linux/rtnetlink.h> (test
// code's own copy: a wrong name in the product shows as a mismatch, not as an agreement).
import { expect } from 'vitest';
import type { Route } from '../../src/index.js';
import { ipJson, type Netns } from './ip.js';

export interface ComparableRoute {
  family: 4 | 6;
  table: number;
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  /** Always there, except in ip's answer to an IPv4 `route get` (see fromIp). */
  protocol: number;
  scope: number;
  type: number;
  prefsrc?: string;
}

export const RT_TABLES: Record<string, number> = { unspec: 0, default: 253, main: 254, local: 255 };
export const RT_PROTOCOLS: Record<string, number> = {
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
  'redirect-gateway': 157,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
};
export const RT_SCOPES: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};
export const RTN_TYPES: Record<string, number> = {
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
  xresolve: 11,
};
/** Our protocol number (src/netlink/constants.ts), for tests that check ownership. */
export const OUR_PROTOCOL = 157;

function toNumber(table: Record<string, number>, value: string | number | undefined, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  const n = value === undefined ? undefined : table[value];
  if (n === undefined) throw new Error(`unknown ${what}: ${JSON.stringify(value)}`);
  return n;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Our Route in the comparable form. */
export function fromRoute(route: Route): ComparableRoute {
  return withoutUndefined({
    family: route.family,
    table: toNumber(RT_TABLES, route.table, 'table'),
    dst: route.dst,
    gateway: route.gateway,
    dev: route.dev,
    metric: route.metric,
    protocol: toNumber(RT_PROTOCOLS, route.protocol, 'protocol'),
    scope: toNumber(RT_SCOPES, route.scope, 'scope'),
    type: toNumber(RTN_TYPES, route.type, 'route type'),
    prefsrc: route.prefsrc,
  });
}

/** One entry of `ip -d -N -j route show|get` output, as iproute2 6.x prints it. */
export interface IpRouteEntry {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags?: string[];
  [other: string]: unknown;
}

/**
 * An `ip -d -N -j` entry in the comparable form. `table` is the table to assume when ip left it out (the
 * one asked for; main for `table all`).
 *
 * A route the kernel marks RTM_F_CLONED (its answer to an IPv4 `route get`; ip shows a "cache" key for it)
 * is printed without protocol and scope whatever the options: those two are then left out here too
 * (undefined), and compareAs() leaves them out of our side. Elsewhere -d makes ip print them always.
 */
export function fromIp(entry: IpRouteEntry, family: 4 | 6, table = RT_TABLES.main): ComparableRoute {
  const cloned = 'cache' in entry;
  let dst = entry.dst;
  if (dst === 'default') dst = family === 4 ? '0.0.0.0/0' : '::/0';
  else if (!dst.includes('/')) dst = `${dst}/${family === 4 ? 32 : 128}`;
  return withoutUndefined({
    family,
    table: entry.table === undefined ? table : toNumber(RT_TABLES, entry.table, 'table'),
    dst,
    gateway: entry.gateway,
    dev: entry.dev,
    metric: entry.metric,
    protocol: cloned && entry.protocol === undefined ? undefined! : toNumber(RT_PROTOCOLS, entry.protocol, 'protocol'),
    scope: cloned && entry.scope === undefined ? undefined! : toNumber(RT_SCOPES, entry.scope, 'scope'),
    type: toNumber(RTN_TYPES, entry.type ?? 'unicast', 'route type'),
    prefsrc: entry.prefsrc,
  });
}

export type TableSelector = 'main' | 'local' | 'default' | 'all' | number;

/** What `ip -d -N -j -F route show table T` says, comparable; both families when family is omitted. */
export async function ipRoutes(
  ns: Netns,
  options: { family?: 4 | 6; table?: TableSelector } = {},
): Promise<ComparableRoute[]> {
  const table = options.table ?? 'main';
  const families = options.family ? [options.family] : ([4, 6] as const);
  const assumed = table === 'all' ? RT_TABLES.main : typeof table === 'number' ? table : RT_TABLES[table];
  const out: ComparableRoute[] = [];
  for (const family of families) {
    const entries = await ipJson<IpRouteEntry[]>(ns, '-d', '-N', `-${family}`, 'route', 'show', 'table', String(table));
    out.push(...entries.map((e) => fromIp(e, family, assumed)));
  }
  return out;
}

/**
 * `ip route get ADDRESS [fibmatch] [oif DEV]`, comparable. Without fibmatch, ip prints the resolved path
 * (dst is the address itself; the kernel leaves protocol 0 and says table main).
 */
export async function ipRouteGet(
  ns: Netns,
  address: string,
  options: { fibMatch?: boolean; oif?: string } = {},
): Promise<ComparableRoute> {
  const family = address.includes(':') ? 6 : 4;
  const args = ['-d', '-N', `-${family}`, 'route', 'get'];
  if (options.fibMatch) args.push('fibmatch');
  args.push(address);
  if (options.oif) args.push('oif', options.oif);
  const [entry] = await ipJson<IpRouteEntry[]>(ns, ...args);
  return fromIp(entry, family);
}

/** Our route in the comparable form, without the fields the oracle's entry does not show (see fromIp). */
export function compareAs(ours: Route, oracle: ComparableRoute): ComparableRoute {
  const mine = fromRoute(ours);
  if (oracle.protocol === undefined) delete (mine as Partial<ComparableRoute>).protocol;
  if (oracle.scope === undefined) delete (mine as Partial<ComparableRoute>).scope;
  return mine;
}

/** Asserts that our getRoute answer is what `ip route get` said. */
export async function expectSameAsRouteGet(
  ours: Route,
  ns: Netns,
  address: string,
  options: { fibMatch?: boolean; oif?: string } = {},
): Promise<void> {
  const oracle = await ipRouteGet(ns, address, options);
  expect(compareAs(ours, oracle)).toEqual(oracle);
}

export function routeKey(r: ComparableRoute): string {
  return [r.family, r.table, r.dst, r.type, r.metric ?? '', r.dev ?? '', r.gateway ?? ''].join(' ');
}

export function sortRoutes(routes: ComparableRoute[]): ComparableRoute[] {
  return [...routes].sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : routeKey(a) > routeKey(b) ? 1 : 0));
}

/** Asserts that our routes and the oracle's are the same set (order aside), field by field. */
export function expectSameRoutes(ours: Route[], oracle: ComparableRoute[]): void {
  expect(ours.length, 'number of routes').toBe(oracle.length);
  expect(sortRoutes(ours.map(fromRoute))).toEqual(sortRoutes(oracle));
}

/** Finds a route by destination (and table) in a comparable list; undefined when absent. */
export function findRoute(routes: ComparableRoute[], dst: string, table = RT_TABLES.main): ComparableRoute | undefined {
  return routes.find((r) => r.dst === dst && r.table === table);
}

/** What changed between two snapshots: routes only in `after` (added) and only in `before` (removed). */
export function routeDiff(
  before: ComparableRoute[],
  after: ComparableRoute[],
): { added: ComparableRoute[]; removed: ComparableRoute[] } {
  const key = (r: ComparableRoute) => JSON.stringify(sortKeys(r));
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  return {
    added: sortRoutes(after.filter((r) => !had.has(key(r)))),
    removed: sortRoutes(before.filter((r) => !has.has(key(r)))),
  };
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}

/** Every route of every table, both families: a namespace's whole routing state, for before/after checks. */
export function snapshotRoutes(ns: Netns): Promise<ComparableRoute[]> {
  return ipRoutes(ns, { table: 'all' }).then(sortRoutes);
}
