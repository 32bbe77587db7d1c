// The rare parts of a route (next hops, metrics, RTA_VIA, expiry, ...) from the extras side channel of a batch
// (native/route_extras.cc writes it): only routes that have them pay for them.
import type { Route, RouteFlow, RouteNexthop, RouteVia } from './types.js';

/** One route's extras object, as native/route_extras.cc writes it (addresses and devices are string ids). */
export interface RawExtras {
  f?: number;
  tos?: number;
  src?: [number, number];
  flow?: number;
  nhid?: number;
  via?: [number, number];
  uid?: number;
  mark?: number;
  exp?: number;
  err?: number;
  m?: [number, number][];
  lock?: number;
  cc?: string;
  nh?: [number, number, number, number, number, number, number][];
  u?: number[];
}

const FLAG_NAMES: [number, string][] = [
  [0x1, 'dead'],
  [0x4, 'onlink'],
  [0x2, 'pervasive'],
  [0x8, 'offload'],
  [0x40, 'trap'],
  [0x100, 'notify'],
  [0x10, 'linkdown'],
  [0x20, 'unresolved'],
  [0x4000, 'rt_offload'],
  [0x8000, 'rt_trap'],
  [0x20000000, 'rt_offload_failed'],
];

/** rtm_flags or rtnh_flags by iproute2's names, in its order (ip/iproute.c print_rt_flags). */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names;
}

/** iproute2's names of the RTAX_* metrics, by number (ip/iproute.c mx_names). */
export const METRIC_NAMES: (string | undefined)[] = [
  undefined,
  'lock',
  'mtu',
  'window',
  'rtt',
  'rttvar',
  'ssthresh',
  'cwnd',
  'advmss',
  'reordering',
  'hoplimit',
  'initcwnd',
  'features',
  'rto_min',
  'initrwnd',
  'quickack',
  'congestion',
  'fastopen_no_cookie',
];
/** The metrics in the order ip prints them, with the words of its text (RTAX_CC_ALGO is "congctl" there). */
export const METRIC_ORDER: [number, string][] = METRIC_NAMES.flatMap((name, type) =>
  type >= 2 && name ? [[type, name === 'congestion' ? 'congctl' : name] as [number, string]] : [],
);
export const RTAX_RTT = 4;
export const RTAX_RTTVAR = 5;
export const RTAX_HOPLIMIT = 10;

function viaOf(family: number, id: number, strings: readonly (string | undefined)[]): RouteVia {
  return { family: family === 10 ? 'inet6' : 'inet', host: strings[id] ?? '' };
}

/** RTA_FLOW: the source realm in the high 16 bits, the destination realm in the low ones. */
export function flowOf(flow: number): RouteFlow {
  const from = flow >>> 16;
  return from ? { from, to: flow & 0xffff } : { to: flow & 0xffff };
}

function metricsOf(raw: RawExtras): Record<string, number | string> {
  const metrics: Record<string, number | string> = {};
  for (const [type, value] of raw.m ?? []) {
    if (type === RTAX_HOPLIMIT && value === 0xffffffff) continue; // ip shows no hoplimit of -1
    const shown = type === RTAX_RTT ? Math.floor(value / 8) : type === RTAX_RTTVAR ? Math.floor(value / 4) : value;
    metrics[METRIC_NAMES[type] ?? `metric ${type}`] = shown;
  }
  if (raw.cc !== undefined) metrics.congestion = raw.cc;
  if (raw.lock !== undefined) metrics.lock = raw.lock;
  return metrics;
}

/** Adds one route's extras to it. */
export function applyExtras(route: Route, raw: RawExtras, strings: readonly (string | undefined)[]): void {
  if (raw.f) {
    const flags = flagNames(raw.f);
    if (flags.length) route.flags = flags;
  }
  if (raw.tos) route.tos = raw.tos;
  if (raw.src) {
    const [id, length] = raw.src;
    route.src = `${strings[id] ?? (route.family === 6 ? '::' : '0.0.0.0')}/${length}`;
  }
  if (raw.nhid !== undefined) route.nhid = raw.nhid;
  if (raw.via) route.via = viaOf(raw.via[0], raw.via[1], strings);
  if (raw.m) route.metrics = metricsOf(raw);
  if (raw.exp !== undefined) route.expires = raw.exp;
  if (raw.err !== undefined) route.error = raw.err;
  if (raw.uid !== undefined) route.uid = raw.uid;
  if (raw.mark !== undefined) route.mark = raw.mark;
  if (raw.flow !== undefined) route.flow = flowOf(raw.flow);
  if (raw.nh) {
    route.nexthops = raw.nh.map(([gateway, viaFamily, via, dev, hops, flags, flow]) => {
      const nexthop: RouteNexthop = { dev: strings[dev] ?? '', weight: hops + 1, flags: flagNames(flags) };
      if (gateway) nexthop.gateway = strings[gateway];
      if (via) nexthop.via = viaOf(viaFamily, via, strings);
      if (flow) nexthop.flow = flowOf(flow);
      return nexthop;
    });
  }
  if (raw.u) route.undecoded = raw.u;
}
