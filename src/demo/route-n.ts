// The IPv4 main table in the layout of net-tools' `route -n`, the layout of the tables in tinc's
// documentation (the seed): Destination Gateway Genmask Flags Metric Ref Use Iface.
//
// Column for column what `route -n` prints from /proc/net/route: unicast routes flagged U, G with a gateway,
// H for a host route; unreachable and prohibit routes flagged ! (and H), with '-' for gateway, Ref and Iface;
// a route without a device shows Iface '*'; broadcast and multicast entries are not listed; the metric is
// printed as a signed 32-bit number. Rows go most specific first, the order of the documentation's tables.
import { parsePrefix } from '../address.js';
import type { Route } from '../netlink/index.js';

export const ROUTE_N_TITLE = 'Kernel IP routing table';
export const ROUTE_N_HEADER = 'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface';

function netmask(length: number): string {
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
}

/** The route's prefix as 32-bit number and length, for ordering. */
function prefixOf(route: Route): { value: number; length: number } {
  const prefix = parsePrefix(route.dst);
  const b = prefix.bytes;
  return { value: ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, length: prefix.length };
}

function row(cells: [string, string, string, string, string, string, string, string]): string {
  const [dst, gateway, mask, flags, metric, ref, use, iface] = cells;
  return `${dst.padEnd(15)} ${gateway.padEnd(15)} ${mask.padEnd(15)} ${flags.padEnd(5)} ${metric.padEnd(6)} ${ref.padEnd(3)} ${use.padStart(6)} ${iface}`;
}

/** One row of `route -n` for an IPv4 route of the main table, or undefined for what route -n leaves out. */
export function routeNRow(route: Route): string | undefined {
  if (route.family !== 4 || route.type === 'broadcast' || route.type === 'multicast') return undefined;
  const { length } = prefixOf(route);
  const [dst] = route.dst.split('/');
  const host = length === 32 ? 'H' : '';
  const metric = String((route.metric ?? 0) | 0);
  if (route.type === 'unreachable' || route.type === 'prohibit') {
    return row([dst, '-', netmask(length), `!${host}`, metric, '-', '0', '-']);
  }
  const flags = `U${route.gateway ? 'G' : ''}${host}`;
  return row([dst, route.gateway ?? '0.0.0.0', netmask(length), flags, metric, '0', '0', route.dev ?? '*']);
}

/** The whole table as `route -n` prints it, title and header included. */
export function formatRouteN(routes: readonly Route[]): string[] {
  const rows = routes
    .filter((r) => r.family === 4 && (r.table === 'main' || r.table === 254))
    .map((route) => ({ route, prefix: prefixOf(route), text: routeNRow(route) }))
    .filter((r): r is typeof r & { text: string } => r.text !== undefined)
    .sort(
      (a, b) =>
        b.prefix.length - a.prefix.length ||
        a.prefix.value - b.prefix.value ||
        (a.route.metric ?? 0) - (b.route.metric ?? 0),
    )
    .map((r) => r.text);
  return [ROUTE_N_TITLE, ROUTE_N_HEADER, ...rows];
}
