// Planning `--strategy rules` is pure: from the rules and table routes of ours that are there and what is wanted,
// the changes to make, each with the change that undoes it. Main is never touched. At priorities P .. P+3:
//   P    to ADDR ipproto tcp|udp dport PORT lookup main
//                                              tinc's traffic to the server (and each mesh peer) keeps main's path,
//                                              whatever it is now; the rest of the traffic to that address goes
//                                              through the VPN (TunnelCrack's ServerIP)
//   P+1  to ADDR ipproto tcp|udp dport PORT unreachable
//                                              with no such path, tinc's packets fail at once instead of looping
//   P+2  lookup main suppress_prefixlength 0   the LAN, the VPN's subnet, the user's specific routes
//   P+3  lookup TABLE                          the default route through the VPN
// Up adds the table's routes first and the rules in that order, down takes them away in the reverse order: at
// every moment in between, the server's packets keep their path and nothing loops.
import type { Family } from '../address.js';
import {
  protocolNumber,
  type Route,
  type RouteSpec,
  type Rule,
  type RuleChange,
  type RuleSpec,
} from '../netlink/index.js';
import { blockedFamilies, deleteStep, planRoutes, type Step } from './plan.js';

/** One change of a policy plan: a route (in our table) or a rule, each with its undo. */
export type PolicyStep = ({ kind: 'route' } & Step) | { kind: 'rule'; change: RuleChange; undo: RuleChange };

/** The metric of the kill switch's unreachable default route: worse than any a user gives. */
export const KILL_SWITCH_METRIC = 0xffffffff;

const ALL: Record<Family, string> = { 4: '0.0.0.0/0', 6: '::/0' };

/** One of our table's refusals (a kill switch's, `--block-ipv6`): its unreachable default at KILL_SWITCH_METRIC. */
export function isRefusal(route: Route): boolean {
  return route.type === 'unreachable' && route.metric === KILL_SWITCH_METRIC && route.dst === ALL[route.family];
}

export interface RulesInput {
  iface: string;
  families: Family[];
  /** The VPN gateway per family (switch style); router style when absent. */
  gateways: Partial<Record<Family, string>>;
  /** Families whose gateway is not on-link on the interface and so needs a host route there (in our table). */
  gatewayNeedsRoute: Family[];
  /** The addresses (server, mesh peers) whose tinc traffic keeps main's path: host CIDRs. */
  bypassing: string[];
  /** tinc's port on them (TCP and UDP), as the lockdown lets through. */
  port: number;
  table: number;
  priority: number;
  protocol: number;
  killSwitch: boolean;
  blockIpv6: boolean;
  /** Our rules and our table's routes now. */
  ownedRules: Rule[];
  ownedRoutes: Route[];
  /** Leave our table's routes as they are (a peer changed while the VPN interface is gone). */
  keepRoutes?: boolean;
}

function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** The families our rules send to our table: the redirected ones, and those refused (both with a kill switch). */
export function ruledFamilies(input: Pick<RulesInput, 'families' | 'blockIpv6' | 'killSwitch'>): Family[] {
  return [...new Set([...input.families, ...blockedFamilies(input.families, input.killSwitch, input.blockIpv6)])];
}

/** Our table's routes, in the order they are added: a gateway's host route before the default route via it. */
export function wantedTableRoutes(input: RulesInput): RouteSpec[] {
  const { table, protocol } = input;
  const routes: RouteSpec[] = [];
  for (const family of input.families) {
    const gateway = input.gateways[family];
    if (gateway && input.gatewayNeedsRoute.includes(family))
      routes.push({ dst: gateway, dev: input.iface, table, protocol });
    routes.push({ dst: ALL[family], gateway, dev: input.iface, table, protocol });
  }
  const refused = ruledFamilies(input).filter((f) => input.killSwitch || !input.families.includes(f));
  for (const family of refused) {
    routes.push({ dst: ALL[family], type: 'unreachable', metric: KILL_SWITCH_METRIC, table, protocol });
  }
  return routes;
}

/** Our rules, in the order they are added. */
export function wantedRules(input: RulesInput): RuleSpec[] {
  const { priority: p, protocol } = input;
  const families = ruledFamilies(input);
  const bypassing = input.bypassing.filter((a) => families.includes(familyOf(a)));
  const tinc = (dst: string) =>
    TINC_PROTOCOLS.map((ipProto) => ({ family: familyOf(dst), dst, ipProto, dport: input.port, protocol }));
  return [
    ...bypassing.flatMap((dst): RuleSpec[] => [
      ...tinc(dst).map((r): RuleSpec => ({ ...r, priority: p, action: 'lookup', table: 'main' })),
      ...tinc(dst).map((r): RuleSpec => ({ ...r, priority: p + 1, action: 'unreachable' })),
    ]),
    ...families.map((family): RuleSpec => ({
      family,
      priority: p + 2,
      action: 'lookup',
      table: 'main',
      suppressPrefixLength: 0,
      protocol,
    })),
    ...families.map((family): RuleSpec => ({
      family,
      priority: p + 3,
      action: 'lookup',
      table: input.table,
      protocol,
    })),
  ];
}

/** The transports tinc speaks to its server and peers. */
const TINC_PROTOCOLS = ['tcp', 'udp'] as const;

/** A port or a range as text, the same for a spec's `655` and a listed rule's `[655, 655]`. */
function portText(port: number | [number, number] | undefined): string {
  if (port === undefined) return '';
  const [first, last] = typeof port === 'number' ? [port, port] : port;
  return `${first}-${last}`;
}

/** What tells one rule from another of ours: every field a rule of ours can have. */
export function ruleKey(r: RuleSpec | Rule): string {
  const table = r.action === 'lookup' ? String(r.table) : r.action === 'goto' ? String(r.goto) : '';
  const suppress = r.suppressPrefixLength ?? '';
  const transport = `${r.ipProto ?? ''} ${portText(r.dport)}`;
  return `${r.family} ${r.priority} ${r.action} ${table} ${r.dst ?? ''} ${transport} ${suppress} ${protocolNumber(r.protocol!)}`;
}

/** A rule of ours for messages: 'priority 30157 to 198.51.100.10/32 ipproto udp dport 655 lookup main'. */
export function describeRuleSpec(spec: RuleSpec): string {
  const what = spec.action === 'lookup' ? `lookup ${String(spec.table)}` : spec.action;
  const transport = spec.ipProto !== undefined ? `ipproto ${spec.ipProto} dport ${String(spec.dport)} ` : '';
  return `priority ${spec.priority} ${spec.dst ? `to ${spec.dst} ` : ''}${transport}${what}`;
}

/** The spec that deletes exactly this rule of ours (and, added, recreates it). */
export function ruleSpecOf(rule: Rule): RuleSpec {
  const spec: RuleSpec = { family: rule.family, priority: rule.priority, action: rule.action, protocol: rule.protocol };
  if (rule.action === 'lookup') spec.table = rule.table;
  if (rule.action === 'goto') spec.goto = rule.goto;
  if (rule.dst !== undefined) spec.dst = rule.dst;
  if (rule.oif !== undefined) spec.oif = rule.oif;
  if (rule.ipProto !== undefined) spec.ipProto = rule.ipProto;
  if (rule.dport !== undefined) spec.dport = rule.dport;
  if (rule.suppressPrefixLength !== undefined) spec.suppressPrefixLength = rule.suppressPrefixLength;
  return spec;
}

function ruleDelete(rule: Rule): PolicyStep {
  const spec = ruleSpecOf(rule);
  return { kind: 'rule', change: { op: 'delete', rule: spec }, undo: { op: 'add', rule: spec } };
}

function routeSteps(steps: Step[]): PolicyStep[] {
  return steps.map((s) => ({ kind: 'route', ...s }));
}

/** Rules a later priority first: the lookup of our table goes before anything it relies on. */
function byPriorityDescending(a: Rule, b: Rule): number {
  return b.priority - a.priority;
}

export function planRulesUp(input: RulesInput): PolicyStep[] {
  const tableSteps = input.keepRoutes ? [] : planRoutes(wantedTableRoutes(input), input.ownedRoutes);
  const wanted = wantedRules(input);
  const keys = new Set(wanted.map(ruleKey));
  const present = new Set(input.ownedRules.map(ruleKey));
  const additions: PolicyStep[] = wanted
    .filter((r) => !present.has(ruleKey(r)))
    .map((rule) => ({ kind: 'rule', change: { op: 'add', rule }, undo: { op: 'delete', rule } }));
  const removals = input.ownedRules
    .filter((r) => !keys.has(ruleKey(r)))
    .sort(byPriorityDescending)
    .map(ruleDelete);
  // Routes no longer wanted (the table's old contents) go after the rules that stop using them.
  const [changes, deletions] = [
    tableSteps.filter((s) => s.change.op !== 'delete'),
    tableSteps.filter((s) => s.change.op === 'delete'),
  ];
  return [...routeSteps(changes), ...additions, ...removals, ...routeSteps(deletions)];
}

/** The lookup of our table first, so main takes over before anything else goes; our table's routes last. */
export function planRulesDown(ownedRules: readonly Rule[], ownedRoutes: readonly Route[]): PolicyStep[] {
  return [...[...ownedRules].sort(byPriorityDescending).map(ruleDelete), ...routeSteps(ownedRoutes.map(deleteStep))];
}
