// What a redirect looks like in the kernel, and what is wrong with it.
import { parseAddress, type Family } from '../address.js';
import type { DnsStatus } from '../dns/index.js';
import { NetlinkError, RefusedError } from '../errors.js';
import { hasNetAdmin, NEEDS_ROOT } from '../privilege.js';
import { STATE_DIR } from '../store/index.js';
import { describeSpec, type Link, type Route, type RouteSocket, type Rule } from '../netlink/index.js';
import { blockedFamilies, HALVES, halvesInPlace, isFallback } from './plan.js';
import type { LockdownStatus } from './lockdown/index.js';
import { describeRuleSpec } from './rules-plan.js';
import { TINC_PORT } from './lockdown/options.js';
import { tincPath } from './tinc-path.js';
import { missingRefusalRules, ownedRefusalRules, wantedRefusalRules } from './refusal-rules.js';
import type { RedirectState } from './state.js';

export interface RedirectStatus {
  iface: string;
  /** Carrying the traffic: every half-route (under rules, every rule and default route) in place; not suspended. */
  active: boolean;
  /**
   * Not active because a protection holds, as it should: suspended at SERVER-down or tinc-down, or the VPN
   * interface gone or down (tincd killed) while the kill switch or the lockdown refuses what it carried. Other
   * problems may still be listed.
   */
  holding: boolean;
  remote?: string;
  families: Family[];
  gateways: string[];
  routes: Route[];
  problems: string[];
  /** The kill switch is on (`up --kill-switch`): traffic the VPN does not carry is refused until `down`. */
  killSwitch: boolean;
  /** IPv6 beyond the LAN is refused (`up --block-ipv6`). */
  blockIpv6: boolean;
  /** The families whose fallback routes are in place: what is refused now where the VPN does not carry it. */
  blocked: Family[];
  /** Under `--strategy rules`: our table (whose routes `routes` then are), our first priority, our rules. */
  strategy?: 'rules';
  table?: number;
  priority?: number;
  rules?: Rule[];
  /** The lockdown (`up --lockdown`): the LAN policy and the rules our chains should hold. */
  lockdown?: LockdownStatus;
  /** DNS through the VPN (`up` with `dns`): where it was set, what, and its problems (also in `problems`). */
  dns?: DnsStatus;
}

/**
 * A status needs the state kept under STATE_DIR (the server, the kill switch, the follower), which is root's:
 * without it, what the kernel shows alone would pass for the whole truth.
 */
export function checkMayReadState(): void {
  if (!hasNetAdmin()) {
    throw new RefusedError(`status ${NEEDS_ROOT}: the redirects' state under ${STATE_DIR} is root's to read`);
  }
}

export async function describeRedirect(
  nl: RouteSocket,
  iface: string,
  state: RedirectState | undefined,
  owned: Route[],
  seen: Pick<HoldLook, 'vpn' | 'lockdownRefusing'>,
): Promise<RedirectStatus> {
  const families: Family[] =
    state?.families ??
    ([4, 6] as Family[]).filter((f) => owned.some((r) => r.family === f && r.dst === HALVES[f][0] && r.dev === iface));
  const fallbacks = owned.filter(isFallback);
  const blocked = ([4, 6] as Family[]).filter((f) => HALVES[f].every((dst) => fallbacks.some((r) => r.dst === dst)));
  const carrying = halvesInPlace(families, iface, owned);
  const missing = (state ? families.flatMap((f) => HALVES[f]) : [])
    .filter((half) => !owned.some((r) => r.dst === half && r.dev === iface))
    .map((half) => `the half-route ${half} through ${iface}`);
  const { active, holding, problems } = judgeHold(iface, state, { carrying, missing, blocked, ...seen });
  for (const route of owned.filter((r) => r.dev !== iface && !isFallback(r))) {
    const problem = await staleException(nl, route);
    if (problem) problems.push(problem);
  }
  for (const dst of state?.exceptions ?? []) {
    if (!owned.some((r) => r.dst === dst)) problems.push(`the exception route ${dst} is missing`);
  }
  if (state) problems.push(...(await refusalProblems(nl, state)));
  const path = state && (await serverPathProblem(nl, state));
  if (path) problems.push(path);
  const gateways = Object.values(state?.gateways ?? {}).filter((g): g is string => typeof g === 'string');
  return {
    iface,
    active,
    holding,
    remote: state?.remote,
    families,
    gateways,
    routes: owned,
    problems,
    killSwitch: !!state?.killSwitch,
    blockIpv6: !!state?.blockIpv6,
    blocked,
  };
}

/** The VPN interface as status finds it: gone (tincd killed) or down, the kernel took every route through it. */
export type VpnLink = 'gone' | 'down' | 'up';

export function vpnLink(links: Link[], iface: string): VpnLink {
  const link = links.find((l) => l.name === iface);
  return !link ? 'gone' : link.up ? 'up' : 'down';
}

/** What a strategy's status sees of the VPN's part and of the refusals, for `judgeHold`. */
export interface HoldLook {
  /** Every route (and rule) through the VPN interface is in place. */
  carrying: boolean;
  /** Our routes through the VPN interface that are missing, each as `the half-route 0.0.0.0/1 through vpn`. */
  missing: string[];
  vpn: VpnLink;
  /** The families our refusals (a kill switch's, `--block-ipv6`) are in place for. */
  blocked: Family[];
  /** The lockdown's firewall is in place (lockdown/): it refuses whatever the VPN does not carry. */
  lockdownRefusing: boolean;
}

/** The part of a status both strategies judge alike: whether the redirect is active, and what is wrong. */
export interface Hold {
  /** Carrying the traffic through the VPN, and not suspended. */
  active: boolean;
  /** Not active because a protection holds, as it should (RedirectStatus.holding). */
  holding: boolean;
  problems: string[];
}

/**
 * The one judgment of a hold, whatever the strategy and whichever protection refuses (the kill switch, the
 * lockdown, or both): suspended at SERVER-down or tinc-down, or refusing while the VPN interface is gone or down
 * (tincd killed), the redirect holds; without a protection, the interface gone is a problem. Our routes through
 * the VPN missing while it is up are a problem either way: under a protection all traffic is refused until they
 * are put back, without one it goes in clear. A refusal the state wants and the kernel lacks is a problem too.
 */
export function judgeHold(iface: string, state: RedirectState | undefined, look: HoldLook): Hold {
  const wanted = state ? blockedFamilies(state.families, state.killSwitch, state.blockIpv6) : [];
  const refusing = (!!state?.killSwitch && wanted.every((f) => look.blocked.includes(f))) || look.lockdownRefusing;
  const active = look.carrying && !state?.suspended;
  const holding = !active && (!!state?.suspended || (refusing && look.vpn !== 'up'));
  const problems: string[] = [];
  if (look.vpn === 'gone' && !holding) problems.push(`the interface ${iface} is gone`);
  for (const family of wanted.filter((f) => !look.blocked.includes(f))) {
    problems.push(`the routes refusing IPv${family} outside the VPN are missing`);
  }
  if (holding || !look.missing.length) return { active, holding, problems };
  // Refusing yet not holding: the interface is up, not suspended, and only a follower would put them back.
  const what = `routes of ours through ${iface} are missing while it is up, and what they carry is refused`;
  if (refusing) problems.push(`${what}: \`up\` again puts them back, or a follower (\`up --follow\`) does`);
  else problems.push(...look.missing.map((route) => `${route} is missing`));
  return { active, holding, problems };
}

/**
 * Where the kernel sends tinc's packets to the server now, whatever the strategy: through the tunnel itself they
 * never reach it (a loop); refused (our refusal rule, after a link flap took the uplink's routes), tinc cannot
 * reach it until a path is back.
 */
export async function serverPathProblem(nl: RouteSocket, state: RedirectState): Promise<string | undefined> {
  const { remote, iface } = state;
  let refusal: unknown;
  const path = await tincPath(nl, remote, state.serverPort ?? TINC_PORT).catch((e: unknown) => void (refusal = e));
  if (path?.dev === iface)
    return `the server ${remote} is routed through ${iface} itself: its packets loop into the tunnel`;
  if (refusal instanceof NetlinkError) {
    return `the server ${remote} has no path outside the VPN: its packets are refused (${refusal.code}), not looped`;
  }
  return undefined;
}

/** The rules that refuse the server rather than loop it (refusal-rules.ts), as a halves redirect wants them. */
async function refusalProblems(nl: RouteSocket, state: RedirectState): Promise<string[]> {
  const owned = ownedRefusalRules(await nl.listRules(), state.protocol);
  const wanted = wantedRefusalRules([parseAddress(state.remote)], state.protocol);
  return missingRefusalRules(wanted, owned).map(
    (rule) => `the rule ${describeRuleSpec(rule)} refusing the server outside the VPN is missing`,
  );
}

/** An exception route must follow a default route that still exists through the same uplink and gateway. */
async function staleException(nl: RouteSocket, route: Route): Promise<string | undefined> {
  const defaults = (
    await nl.listRoutes({ family: route.family, table: 'main', dev: route.dev! }).catch(() => [] as Route[])
  ).filter((r) => r.dst.endsWith('/0'));
  if (defaults.some((r) => r.gateway === route.gateway)) return undefined;
  const now = defaults.length
    ? `the default route through ${route.dev} now goes ${defaults[0].gateway ? `via ${defaults[0].gateway}` : 'on-link'}`
    : `there is no default route through ${route.dev} any more`;
  return `the exception route ${describeSpec(route)} is stale: ${now}`;
}

/**
 * Routes through a link without carrier (`linkdown`: a tun device no process holds, as after tincd died) take
 * everything sent to them and drop it: the tunnel is dead though every route of the redirect is in place.
 */
export function carrierProblem(status: RedirectStatus, links: Link[]): string | undefined {
  const link = links.find((l) => l.name === status.iface);
  const through = status.routes.some((r) => r.dev === status.iface);
  if (!link || link.lowerUp || !through) return undefined;
  return `${status.iface} has no carrier: no process holds the tunnel (is the VPN daemon running?)`;
}
