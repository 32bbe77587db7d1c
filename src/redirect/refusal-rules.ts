// Under `halves`, what refuses the server (and each mesh peer) when nothing outside the VPN leads to it. A link
// flap flushes the exception route with the uplink's routes; until the next lease the server's address matched
// a half-route, and tinc's packets to it looped into the VPN itself. Per address, just before main's rule:
//   R    to ADDR lookup main suppress_prefixlength 1   any route of main's more specific than a half decides
//   R+1  to ADDR unreachable                           otherwise (no exception, only the halves) refused
// Rules, not an unreachable /32 route in main behind the exception: such a route would beat a user's covering
// route (198.51.100.0/24 via another gateway) by its prefix length, and so could only stand while an exception
// does; with a rule the refusal holds whether or not an exception is needed, so a follower killed while a
// user's route carried the server leaves it refused once that route goes, never looped.
import { parseAddress, type Address, type Family } from '../address.js';
import type { RouteSocket, Rule, RuleSpec } from '../netlink/index.js';
import { applyPolicy, rulesAt, type PolicyChanges } from './policy-apply.js';
import { ruleSpecOf, type PolicyStep } from './rules-plan.js';
import { unmapped } from './options.js';
import type { Peer } from './state.js';
import { REFUSAL_PRIORITIES, REFUSAL_PRIORITY } from './strategy-options.js';

export function hostCidr(address: Address): string {
  return `${address.text}/${address.family === 6 ? 128 : 32}`;
}

/** The two rules for each address, in the order they are added: the lookup of main before the refusal. */
export function wantedRefusalRules(addresses: Address[], protocol: number): RuleSpec[] {
  return addresses.flatMap((address): RuleSpec[] => {
    const dst = hostCidr(address);
    return [
      {
        family: address.family,
        priority: REFUSAL_PRIORITY,
        action: 'lookup',
        table: 'main',
        suppressPrefixLength: 1,
        dst,
        protocol,
      },
      { family: address.family, priority: REFUSAL_PRIORITY + 1, action: 'unreachable', dst, protocol },
    ];
  });
}

function key(r: RuleSpec | Rule): string {
  return `${r.family} ${r.priority} ${r.action} ${r.dst}`;
}

/** Those of the wanted rules that are not there. */
export function missingRefusalRules(wanted: RuleSpec[], owned: Rule[]): RuleSpec[] {
  const present = new Set(owned.map(key));
  return wanted.filter((r) => !present.has(key(r)));
}

/** Our rules at the refusal priorities, of the kernel's `rules`. */
export function ownedRefusalRules(rules: Rule[], protocol: number): Rule[] {
  return rulesAt(rules, protocol, REFUSAL_PRIORITY, REFUSAL_PRIORITIES);
}

/**
 * The rules these addresses lack, added, and ours for addresses no longer wanted (an old server's, a peer gone)
 * taken away: each refusal before its lookup, so none is refused meanwhile.
 */
export function planRefusalRules(wanted: RuleSpec[], owned: Rule[]): PolicyStep[] {
  const keep = new Set(wanted.map(key));
  const additions: PolicyStep[] = missingRefusalRules(wanted, owned).map((rule) => ({
    kind: 'rule',
    change: { op: 'add', rule },
    undo: { op: 'delete', rule },
  }));
  const removals: PolicyStep[] = owned
    .filter((r) => !keep.has(key(r)))
    .sort((a, b) => b.priority - a.priority)
    .map((r) => {
      const rule = ruleSpecOf(r);
      return { kind: 'rule', change: { op: 'delete', rule }, undo: { op: 'add', rule } };
    });
  return [...additions, ...removals];
}

/** What a halves redirect refuses outside the VPN: its server and its mesh peers, of the families it redirects. */
export interface Refused {
  families: Family[];
  remote: Address;
  peers: Peer[];
}

/**
 * Brings our refusal rules to those the redirect wants (`refused`), or takes its rules away (undefined); `rules`
 * is the decision's dump.
 */
export async function applyRefusalRules(
  nl: RouteSocket,
  rules: Rule[],
  protocol: number,
  refused: Refused | undefined,
): Promise<PolicyChanges> {
  const addresses = refused
    ? [refused.remote, ...refused.peers.map((p) => unmapped(parseAddress(p.address)))].filter((a) =>
        refused.families.includes(a.family),
      )
    : [];
  const unique = [...new Map(addresses.map((a) => [a.text, a])).values()];
  const owned = ownedRefusalRules(rules, protocol);
  return applyPolicy(nl, planRefusalRules(wantedRefusalRules(unique, protocol), owned));
}
