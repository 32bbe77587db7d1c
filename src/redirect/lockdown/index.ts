// The lockdown as one part of the redirect: planned from a look at the kernel, set in one nf_tables transaction,
// removed by `down`, described by `status`. Kernel state: it holds whatever happens to tincd or the follower.
import { parseAddress, type Address } from '../../address.js';
import {
  describeFilterRules,
  describeSpec,
  LOCKDOWN_TABLE,
  openFirewall,
  type FilterRule,
  type FirewallSocket,
  type LockdownContent,
  type RouteSocket,
  type RouteSpec,
} from '../../netlink/index.js';
import { readPeers, type RedirectState } from '../state.js';
import type { RedirectStatus, VpnLink } from '../status.js';
import { unmapped } from '../options.js';
import { tincPath } from '../tinc-path.js';
import { TINC_PORT, type CheckedLockdown, type LanPolicy } from './options.js';
import { lanRouteProblems, lanRoutesIn, planLanRoutes, type LanRoutesView } from './lan-routes.js';
import { networkOf, planLockdown, type Connected } from './plan.js';

export { LAN_METRIC } from './lan-routes.js';
export { checkLockdown, TINC_PORT, type CheckedLockdown, type LanPolicy, type LockdownOptions } from './options.js';

/** What the lockdown needs to know of a redirect. */
export interface LockdownOf extends CheckedLockdown {
  iface: string;
  /** The server's and the mesh peers' real addresses. */
  servers: Address[];
  protocol: number;
  /** The VPN's gateway per family, which the LAN's routes through the VPN take as the half-routes do. */
  vpnGateways: Partial<Record<'4' | '6', string>>;
  /** Suspended after the server went down: the LAN is refused by the firewall, not sent into a dead tunnel. */
  suspended: boolean;
}

/** `status`'s view of the lockdown (RedirectStatus.lockdown). */
export interface LockdownStatus {
  lan: LanPolicy;
  /** The rules our chains should hold, as nft shows them. */
  rules: string[];
  /** The LAN's routes through the VPN it should have now (none while the protection holds), as ip shows them. */
  routes: string[];
  /** Its table holds what it should: whatever would leave by another interface than the VPN's is refused. */
  refusing: boolean;
}

async function withFirewall<T>(nl: RouteSocket, work: (fw: FirewallSocket) => Promise<T>): Promise<T> {
  const fw = await openFirewall({ netns: nl.netns });
  try {
    return await work(fw);
  } finally {
    fw.close();
  }
}

/** The lockdown of the redirect a state records (with its mesh peers). */
export function lockdownOfState(state: RedirectState, peers: { address: string }[]): LockdownOf {
  return {
    iface: state.iface,
    lockdown: !!state.lockdown,
    lan: state.lan ?? 'allow',
    serverPort: state.serverPort ?? TINC_PORT,
    servers: [state.remote, ...peers.map((p) => p.address)].map((a) => unmapped(parseAddress(a))),
    protocol: state.protocol,
    vpnGateways: state.gateways,
    suspended: !!state.suspended,
  };
}

/** What the kernel shows that the lockdown depends on: this host's networks and the uplink's gateways. */
async function lookAt(nl: RouteSocket, l: LockdownOf) {
  const connected: Connected[] = (await nl.listAddresses())
    .filter((a) => a.dev !== l.iface && a.dev !== 'lo' && a.scope !== 'host' && a.prefixlen > 0)
    .map((a) => ({ dev: a.dev, prefix: networkOf(a.family, a.local, a.prefixlen) }));
  const gateways = [];
  for (const server of l.servers) {
    const path = await tincPath(nl, server.text, l.serverPort).catch(() => undefined);
    if (path?.gateway && path.dev && path.dev !== l.iface)
      gateways.push({ dev: path.dev, address: parseAddress(path.gateway) });
  }
  return { connected, gateways };
}

type Seen = Awaited<ReturnType<typeof lookAt>>;

function rulesOf(l: LockdownOf, seen: Seen): FilterRule[] {
  return planLockdown({ vpn: l.iface, lan: l.lan, servers: l.servers, port: l.serverPort, ...seen });
}

/** The LAN's routes through the VPN it wants: none while the protection holds. */
function lanRoutesOf(l: LockdownOf, seen: Seen): RouteSpec[] {
  const view: LanRoutesView = { vpn: l.iface, lan: l.lan, vpnGateways: l.vpnGateways, protocol: l.protocol, ...seen };
  return l.suspended ? [] : planLanRoutes(view);
}

/**
 * The lockdown made to match the redirect's state after a change (one transaction, none when it matches already),
 * or lifted when the state before had one and the state after has none.
 */
export async function lockdownIn(
  nl: RouteSocket,
  before: RedirectState | undefined,
  after: LockdownOf | undefined,
): Promise<void> {
  if (after?.lockdown) {
    const seen = await lookAt(nl, after);
    await withFirewall(nl, (fw) => fw.setLockdown(rulesOf(after, seen)));
    // After the firewall: the gateway's host route and the halves come with their rules in place.
    await lanRoutesIn(nl, after.protocol, lanRoutesOf(after, seen));
  } else if (before?.lockdown) await lockdownDown(nl, before.protocol);
}

/** Our LAN routes through the VPN gone (the firewall refuses that LAN again), the lockdown held. */
export async function lockdownSuspended(nl: RouteSocket, protocol: number): Promise<void> {
  await lanRoutesIn(nl, protocol, []);
}

/** Our LAN routes and lockdown table gone, if there are any. */
export async function lockdownDown(nl: RouteSocket, protocol: number): Promise<void> {
  await lockdownSuspended(nl, protocol);
  await withFirewall(nl, (fw) => fw.removeLockdown());
}

/** `status`'s look at the lockdown its state asked for. */
export interface LockdownLook {
  status: LockdownStatus;
  problems: string[];
}

/**
 * The lockdown of a redirect whose state asked for one, as `status` judges it: the rules and LAN routes wanted,
 * and what is wrong.
 */
export async function lookAtLockdown(
  nl: RouteSocket,
  state: RedirectState | undefined,
  nsId: string,
  vpn: VpnLink,
): Promise<LockdownLook | undefined> {
  if (!state?.lockdown) return undefined;
  const l = lockdownOfState(state, readPeers(nsId, state.iface));
  const seen = await lookAt(nl, l);
  const wanted = describeFilterRules(rulesOf(l, seen));
  // With the VPN interface gone (tincd killed) or down the halves went with it: nothing to judge until it is back.
  const routes = vpn === 'up' ? lanRoutesOf(l, seen) : [];
  const routeProblems = vpn === 'up' ? await lanRouteProblems(nl, l.protocol, routes) : [];
  const content = await withFirewall(nl, (fw) => fw.listLockdown());
  return {
    status: { lan: l.lan, rules: wanted, routes: routes.map(describeSpec), refusing: refuses(content, wanted) },
    problems: [...problemsOf(content, wanted), ...routeProblems],
  };
}

/**
 * Our table alone, with every rule it should hold: it refuses what they do not let through. (A stale rule of ours,
 * for a network or server of the uplink's that is gone, as after a link flap, lets nothing else through.)
 */
function refuses(content: LockdownContent, wanted: string[]): boolean {
  const complete = content.chains.every((c) => c.exists && wanted.every((r) => c.rules.includes(r)));
  return content.exists && content.owned && content.oursOnly && complete;
}

/** A redirect's status with its lockdown's, when its state asked for one. */
export function withLockdown(status: RedirectStatus, look: LockdownLook | undefined): RedirectStatus {
  return look ? { ...status, lockdown: look.status, problems: [...status.problems, ...look.problems] } : status;
}

function problemsOf(content: LockdownContent, wanted: string[]): string[] {
  if (!content.exists) return [`the lockdown's table ${LOCKDOWN_TABLE} is missing`];
  if (!content.owned) return [`the table ${LOCKDOWN_TABLE} is not ours (someone else's of its name)`];
  const problems = content.chains.flatMap((c) => {
    if (!c.exists) return [`the lockdown's chain ${c.name} is missing`];
    const held = new Set(c.rules);
    const planned = new Set(wanted);
    return [
      ...wanted.filter((r) => !held.has(r)).map((r) => `the lockdown's ${c.name} rule "${r}" is missing`),
      ...c.rules.filter((r) => !planned.has(r)).map((r) => `the lockdown's ${c.name} rule "${r}" is stale`),
    ];
  });
  if (!content.oursOnly && !problems.length) problems.push(`the table ${LOCKDOWN_TABLE} holds something not ours`);
  return problems;
}
