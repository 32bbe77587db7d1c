// The kill switch's rules for sockets bound to the uplink (SO_BINDTODEVICE, `ping -I eth0`, systemd-resolved's
// per-link DNS): the kernel routes them by the device they name, so neither the half-routes through the VPN nor
// the IPv6 reject routes (on lo) match them, and they went out by main's default route. Per family, before main
// and after the rules strategy's default place:
//   U    oif UPLINK lookup main suppress_prefixlength 0   the LAN, as for every socket (DHCP renewals included)
//   U+1  oif UPLINK unreachable                           everything else
// IPv4 is refused only as far as routing can refuse it: a socket bound to a device whose lookup fails is sent
// on-link by the kernel ("Apparently, routing tables are wrong", ip_route_output_key_hash_rcu), to whoever answers
// ARP for the address. Only a firewall stops that.
// While the kill switch holds, an uplink once named keeps its rules (a roam adds the new one's); the last `down`
// of a redirect with a kill switch in the namespace takes them all away.
import type { Address, Family } from '../address.js';
import { NetlinkError } from '../errors.js';
import type { RouteSocket, Rule, RuleSpec } from '../netlink/index.js';
import { applyPolicy, rulesAt, type PolicyChanges } from './policy-apply.js';
import { ruleSpecOf, type PolicyStep } from './rules-plan.js';
import { tincPath } from './tinc-path.js';
import { UPLINK_PRIORITIES, UPLINK_PRIORITY } from './strategy-options.js';

const FAMILIES: Family[] = [4, 6];

export function wantedUplinkRules(uplink: string, protocol: number): RuleSpec[] {
  return FAMILIES.flatMap((family): RuleSpec[] => [
    {
      family,
      priority: UPLINK_PRIORITY,
      action: 'lookup',
      table: 'main',
      suppressPrefixLength: 0,
      oif: uplink,
      protocol,
    },
    { family, priority: UPLINK_PRIORITY + 1, action: 'unreachable', oif: uplink, protocol },
  ]);
}

function key(r: RuleSpec | Rule): string {
  return `${r.family} ${r.priority} ${r.action} ${r.oif}`;
}

/** Our rules at the uplink priorities, of the kernel's `rules`. */
function ownedUplinkRules(rules: Rule[], protocol: number): Rule[] {
  return rulesAt(rules, protocol, UPLINK_PRIORITY, UPLINK_PRIORITIES);
}

/** The rules an uplink lacks, added (each family's refusal after its lookup of the LAN). */
export function planUplinkRulesUp(uplink: string, protocol: number, owned: Rule[]): PolicyStep[] {
  const present = new Set(owned.map(key));
  return wantedUplinkRules(uplink, protocol)
    .filter((r) => !present.has(key(r)))
    .map((rule) => ({ kind: 'rule', change: { op: 'add', rule }, undo: { op: 'delete', rule } }));
}

/** All of them away, the lookup of the LAN first: in between, bound sockets are refused, never let out. */
export function planUplinkRulesDown(owned: Rule[]): PolicyStep[] {
  return [...owned]
    .sort((a, b) => a.priority - b.priority)
    .map((r) => {
      const rule = ruleSpecOf(r);
      return { kind: 'rule', change: { op: 'delete', rule }, undo: { op: 'add', rule } };
    });
}

/** The device tinc reaches the server by now, or undefined when there is no path to it. */
export async function uplinkTo(nl: RouteSocket, server: Address, port: number): Promise<string | undefined> {
  const path = await tincPath(nl, server.text, port).catch((e: unknown) => {
    if (e instanceof NetlinkError) return undefined;
    throw e;
  });
  return path?.dev;
}

/** Adds the uplink's rules (`uplink` given) or takes every one away; `rules` is the decision's dump. */
export async function applyUplinkRules(
  nl: RouteSocket,
  rules: Rule[],
  protocol: number,
  uplink: string | undefined,
): Promise<PolicyChanges> {
  const owned = ownedUplinkRules(rules, protocol);
  return applyPolicy(nl, uplink ? planUplinkRulesUp(uplink, protocol, owned) : planUplinkRulesDown(owned));
}
