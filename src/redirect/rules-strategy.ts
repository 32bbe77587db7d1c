// `--strategy rules` (strategy.ts), read top to bottom: look (our rules at our priorities, our table's routes), plan (pure,
// rules-plan.ts), remember, apply with rollback. Main is never touched, and nothing needs the server's path:
// its rule looks up main, whatever main's default is at the moment of each packet.
import { parseAddress, type Family } from '../address.js';
import { NetlinkError, RefusedError } from '../errors.js';
import { protocolNumber, type Route, type RouteSocket, type Rule } from '../netlink/index.js';
import { TINC_PORT } from './lockdown/options.js';
import { tincPath } from './tinc-path.js';
import { gatewaysNeedingRoute } from './observe.js';
import type { CheckedUp } from './options.js';
import { applyPolicy, type PolicyChanges } from './policy-apply.js';
import {
  describeRuleSpec,
  isRefusal,
  planRulesDown,
  planRulesUp,
  ruledFamilies,
  wantedTableRoutes,
  type RulesInput,
} from './rules-plan.js';
import { baseRecord, removeState, writeState, type RedirectState, type Snapshot } from './state.js';
import { judgeHold, serverPathProblem, type HoldLook, type RedirectStatus } from './status.js';
import type { Made, Strategy } from './strategy.js';
import { RULES_PRIORITIES, RULES_PRIORITY, RULES_TABLE } from './strategy-options.js';

/** Where a rules redirect's rules and routes are: its table and its first priority. */
export interface PolicyPlace {
  table: number;
  priority: number;
}

/** The place a state records, or the defaults for a redirect whose state is lost. */
export function placeOf(state: RedirectState | undefined): PolicyPlace {
  return { table: state?.table ?? RULES_TABLE, priority: state?.priority ?? RULES_PRIORITY };
}

/** Our rules at the place's priorities, of the kernel's `dump`, and our routes in its table (one table's dump). */
async function ownedPolicy(
  nl: RouteSocket,
  dump: Rule[],
  protocol: number,
  places: PolicyPlace[],
): Promise<{ rules: Rule[]; routes: Route[] }> {
  const inPlace = (r: Rule) =>
    places.some((p) => r.priority >= p.priority && r.priority < p.priority + RULES_PRIORITIES);
  const rules = dump.filter((r) => protocolNumber(r.protocol) === protocol && inPlace(r));
  const tables = [...new Set(places.map((p) => p.table))];
  const routes = (await Promise.all(tables.map((table) => tableRoutes(nl, table, protocol)))).flat();
  return { rules, routes };
}

/**
 * Our routes in a table, family by family: a family whose table the kernel has never had a route in has none
 * (it says ENOENT, and would say it for the other family's routes too if both were asked at once).
 */
async function tableRoutes(nl: RouteSocket, table: number, protocol: number): Promise<Route[]> {
  const families: Family[] = [4, 6];
  const lists = families.map((family) =>
    nl.listRoutes({ family, table, protocol }).catch((e: unknown) => {
      if (e instanceof NetlinkError && e.code === 'ENOENT') return [];
      throw e;
    }),
  );
  return (await Promise.all(lists)).flat();
}

/**
 * The interface main sends tinc's packets to the server by now (none: no uplink now, our unreachable rule refuses
 * them). It must not be the VPN itself: then they would loop.
 */
async function serverUplink(nl: RouteSocket, o: CheckedUp): Promise<string | undefined> {
  const path = await tincPath(nl, o.remote.text, o.serverPort).catch((e: unknown) => {
    if (e instanceof NetlinkError) return undefined;
    throw e;
  });
  if (path?.dev === o.iface) throw new RefusedError(`the server ${o.remote.text} is routed through ${o.iface} itself`);
  return path?.dev;
}

function hostCidr(text: string): string {
  const a = parseAddress(text);
  return `${a.text}/${a.family === 6 ? 128 : 32}`;
}

interface RulesReconcile {
  /** The rules strategy's state in place, if any. */
  state: RedirectState | undefined;
  /** A peer changed: the VPN interface may be gone, then our table stays as it is. */
  peersOnly?: boolean;
}

async function reconcileRules(
  nl: RouteSocket,
  snap: Snapshot,
  o: CheckedUp,
  { state, peersOnly }: RulesReconcile,
): Promise<Made> {
  const linkExists = (await nl.getLink(o.iface)) !== undefined;
  if (!linkExists && !peersOnly) throw new RefusedError(`no such interface: ${o.iface}`);
  const uplink = (linkExists ? await serverUplink(nl, o) : undefined) ?? state?.uplink;
  const families = ruledFamilies(o);
  const bypassing = [...new Set([o.remote.text, ...snap.peers.map((p) => p.address)].map(hostCidr))].filter((a) =>
    families.includes(a.includes(':') ? 6 : 4),
  );
  const place = { table: o.table, priority: o.priority };
  const recorded = state?.protocol === o.protocol ? [placeOf(state)] : [];
  const owned = await ownedPolicy(nl, await snap.rules(), o.protocol, [place, ...recorded]);
  const steps = planRulesUp({
    iface: o.iface,
    families: o.families,
    gateways: o.gateways,
    gatewayNeedsRoute: linkExists ? await gatewaysNeedingRoute(nl, o) : [],
    bypassing,
    port: o.serverPort,
    table: o.table,
    priority: o.priority,
    protocol: o.protocol,
    killSwitch: o.killSwitch,
    blockIpv6: o.blockIpv6,
    ownedRules: owned.rules,
    ownedRoutes: owned.routes,
    keepRoutes: !linkExists,
  });
  // The state goes first: an `up` killed among its changes leaves nothing that `down` cannot find by it.
  // Held (arm, suspend) until the next `up`: the lockdown's LAN routes wait for it (the table holds as it is).
  const suspended = o.suspended ?? state?.suspended === true;
  const record: RedirectState = {
    ...baseRecord(o, bypassing),
    strategy: 'rules',
    table: o.table,
    priority: o.priority,
    // The follower watches it: a network added there changes the lockdown's rules and LAN routes.
    ...(uplink ? { uplink } : {}),
    ...(suspended ? { suspended } : {}),
  };
  const stateChanges = JSON.stringify(record) !== JSON.stringify(state);
  if (stateChanges) await writeState(snap.nsId, record);
  try {
    return { ...(await applyPolicy(nl, steps)), state: record };
  } catch (e) {
    if (stateChanges) await (state ? writeState(snap.nsId, state) : removeState(snap.nsId, o.iface));
    throw e;
  }
}

/** Takes our rules and our table's routes away, the lookup of our table first. */
async function rulesDown(
  nl: RouteSocket,
  snap: Snapshot,
  protocol: number,
  state: RedirectState | undefined,
): Promise<PolicyChanges> {
  const owned = await ownedPolicy(nl, await snap.rules(), protocol, [placeOf(state)]);
  return applyPolicy(nl, planRulesDown(owned.rules, owned.routes));
}

/** What a rules redirect looks like in the kernel, and what is missing from it. */
async function describeRules(
  nl: RouteSocket,
  iface: string,
  state: RedirectState,
  seen: Pick<HoldLook, 'vpn' | 'lockdownRefusing'>,
): Promise<RedirectStatus> {
  const owned = await ownedPolicy(nl, await nl.listRules(), state.protocol, [placeOf(state)]);
  const input: RulesInput = {
    iface,
    families: state.families,
    gateways: state.gateways,
    gatewayNeedsRoute: [],
    bypassing: state.exceptions,
    port: state.serverPort ?? TINC_PORT,
    ...placeOf(state),
    protocol: state.protocol,
    killSwitch: state.killSwitch === true,
    blockIpv6: state.blockIpv6 === true,
    ownedRules: owned.rules,
    ownedRoutes: owned.routes,
  };
  const missingRules = planRulesUp({ ...input, keepRoutes: true }).filter((s) => s.change.op === 'add');
  const defaults = wantedTableRoutes(input).filter((r) => r.dev === iface && r.dst.endsWith('/0'));
  const missing = defaults
    .filter((route) => !owned.routes.some((r) => r.dst === route.dst && r.dev === iface && r.type === 'unicast'))
    .map(() => `the default route through ${iface} in table ${input.table}`);
  const blocked = [...new Set(owned.routes.filter(isRefusal).map((r) => r.family))];
  // Carrying while the VPN carries the traffic: its rules, its interface and the table's default routes through it.
  const carrying = missingRules.length === 0 && seen.vpn !== 'gone' && missing.length === 0;
  const { active, holding, problems } = judgeHold(iface, state, { carrying, missing, blocked, ...seen });
  for (const step of missingRules) {
    if (step.kind === 'rule') problems.push(`the rule ${describeRuleSpec(step.change.rule)} is missing`);
  }
  const path = await serverPathProblem(nl, state);
  if (path) problems.push(path);
  return {
    iface,
    active,
    holding,
    remote: state.remote,
    families: state.families,
    gateways: Object.values(state.gateways).filter((g): g is string => typeof g === 'string'),
    routes: owned.routes,
    problems,
    killSwitch: input.killSwitch,
    blockIpv6: input.blockIpv6,
    blocked,
    strategy: 'rules',
    table: input.table,
    priority: input.priority,
    rules: owned.rules,
  };
}

export const rules: Strategy = {
  up: (nl, snap, o, state) => reconcileRules(nl, snap, o, { state }),
  // No `suspend`: the table holds as it is; tinc, without its server, sends nothing on.
  down: (nl, snap, state, protocol) => rulesDown(nl, snap, state?.protocol ?? protocol, state),
  peersChanged: (nl, snap, o, state) => reconcileRules(nl, snap, o, { state, peersOnly: true }),
  // Asked only for a state of its own (strategyOf gives halves where there is none).
  status: (nl, name, state, look) => describeRules(nl, name, state!, look),
};
