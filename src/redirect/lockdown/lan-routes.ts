// The LAN the policy does not let through goes through the VPN, not into the firewall's refusal: for each network
// of the uplink it keeps from the LAN, our two halves of it through the VPN (longer than the connected route, so
// they win, in main where both strategies look), and a host route to the uplink's gateway so tinc still reaches
// it. Ours by protocol and by LAN_METRIC, so the follower's re-plan and `down` find exactly them.
import { addressLength, formatAddress, parsePrefix, type Address } from '../../address.js';
import { describeSpec, type Route, type RouteSocket, type RouteSpec } from '../../netlink/index.js';
import { apply } from '../apply.js';
import { planRoutes } from '../plan.js';
import { isLinkLocal, lanThrough, type Connected } from './plan.js';
import type { LanPolicy } from './options.js';

/** Marks our LAN routes among the redirect's (all of protocol 157); any metric leaves the lengths deciding. */
export const LAN_METRIC = 157;

export interface LanRoutesView {
  vpn: string;
  lan: LanPolicy;
  /** The VPN's gateway per family, as the half-routes go (router style when absent). */
  vpnGateways: Partial<Record<'4' | '6', string>>;
  connected: Connected[];
  gateways: { dev: string; address: Address }[];
  protocol: number;
}

/** The two halves of a prefix (one bit longer), none where it is too long to split. */
export function halvesOf(cidr: string): string[] {
  const p = parsePrefix(cidr);
  const bits = addressLength(p.family) * 8;
  if (p.length >= bits - 1) return [];
  const upper = p.bytes.slice();
  upper[p.length >> 3] |= 0x80 >> (p.length & 7);
  return [p.bytes, upper].map((bytes) => `${formatAddress(p.family, bytes)}/${p.length + 1}`);
}

export function planLanRoutes(view: LanRoutesView): RouteSpec[] {
  if (view.lan === 'allow') return [];
  const through = new Set(lanThrough(view.lan, view.connected).map((c) => c.prefix));
  const kept = view.connected.filter((c) => !through.has(c.prefix) && !isLinkLocal(c.prefix));
  const common = { protocol: view.protocol, metric: LAN_METRIC };
  const halves = [...new Set(kept.map((c) => c.prefix))].flatMap((prefix) =>
    halvesOf(prefix).map((dst): RouteSpec => {
      const gateway = view.vpnGateways[String(parsePrefix(prefix).family) as '4' | '6'];
      return { dst, dev: view.vpn, ...(gateway ? { gateway } : {}), ...common };
    }),
  );
  if (!halves.length) return [];
  const gateways = view.gateways.map((g): RouteSpec => ({ dst: g.address.text, dev: g.dev, scope: 'link', ...common }));
  return [...gateways, ...halves];
}

async function lanRoutesOwned(nl: RouteSocket, protocol: number): Promise<Route[]> {
  return (await nl.listRoutes({ table: 'main', protocol })).filter((r) => r.metric === LAN_METRIC);
}

/** Our LAN routes made to be the wanted ones (none: all of them gone). */
export async function lanRoutesIn(nl: RouteSocket, protocol: number, wanted: RouteSpec[]): Promise<void> {
  await apply(nl, planRoutes(wanted, await lanRoutesOwned(nl, protocol)));
}

/** What is wrong with our LAN routes, as `status` says it: each one missing, different or stale. */
export async function lanRouteProblems(nl: RouteSocket, protocol: number, wanted: RouteSpec[]): Promise<string[]> {
  return planRoutes(wanted, await lanRoutesOwned(nl, protocol)).map(({ change }) => {
    const what = `the lockdown's LAN route ${describeSpec(change.route)}`;
    return change.op === 'add' ? `${what} is missing` : change.op === 'delete' ? `${what} is stale` : `${what} differs`;
  });
}
