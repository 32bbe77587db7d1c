// The kill switch's rules for DNS: while it holds with resolvers of the VPN's (`--dns`), DNS to anything else is
// refused at once, for every socket, in both families, with no firewall (the LAN's resolver is on the LAN, which
// the kill switch lets through, so a program asking it directly went out in clear). Per family, before main, the
// rules strategy and the uplink's rules:
//   D    to RESOLVER ipproto tcp|udp dport 53 goto D+2   the VPN's resolvers skip the refusal
//   D+1  ipproto tcp|udp dport 53 prohibit              every other DNS query fails (EACCES)
//   D+2  nop                                             the goto's target; the lookup goes on as before
// Added target first and refusal last; taken away refusal first: in between nothing is refused that should not be.
// IPv4 from a socket bound to the uplink is the exception uplink-rules.ts names: refused by routing, the kernel
// sends it on-link anyway; only `--lockdown` stops that.
import { parseAddress, type Family } from '../address.js';
import type { RouteSocket, Rule, RuleSpec } from '../netlink/index.js';
import { applyPolicy, rulesAt, type PolicyChanges } from './policy-apply.js';
import { ruleKey, ruleSpecOf, type PolicyStep } from './rules-plan.js';
import { DNS_PRIORITIES, DNS_PRIORITY } from './strategy-options.js';

const FAMILIES: Family[] = [4, 6];
const TRANSPORTS = ['tcp', 'udp'] as const;
const DNS_PORT = 53;

/** The rules for the VPN's resolvers, in the order they are added. */
export function wantedDnsRules(resolvers: string[], protocol: number): RuleSpec[] {
  return FAMILIES.flatMap((family): RuleSpec[] => {
    const hosts = resolvers
      .map((r) => parseAddress(r))
      .filter((a) => a.family === family)
      .map((a) => `${a.text}/${family === 6 ? 128 : 32}`);
    const dns = TRANSPORTS.map((ipProto) => ({ family, ipProto, dport: DNS_PORT, protocol }));
    const skip = { priority: DNS_PRIORITY, action: 'goto', goto: DNS_PRIORITY + 2 } as const;
    return [
      { family, priority: DNS_PRIORITY + 2, action: 'nop', protocol },
      ...hosts.flatMap((dst) => dns.map((d): RuleSpec => ({ ...d, ...skip, dst }))),
      ...dns.map((d): RuleSpec => ({ ...d, priority: DNS_PRIORITY + 1, action: 'prohibit' })),
    ];
  });
}

/** Our rules at the DNS priorities, of the kernel's `rules`. */
function ownedDnsRules(rules: Rule[], protocol: number): Rule[] {
  return rulesAt(rules, protocol, DNS_PRIORITY, DNS_PRIORITIES);
}

/** Refusal before exception before target: the order in which rules of ours go away. */
const REMOVAL_ORDER: Record<number, number> = { [DNS_PRIORITY + 1]: 0, [DNS_PRIORITY]: 1, [DNS_PRIORITY + 2]: 2 };

/** What is missing added, then what is no longer wanted removed. */
export function planDnsRules(wanted: RuleSpec[], owned: Rule[]): PolicyStep[] {
  const present = new Set(owned.map(ruleKey));
  const keys = new Set(wanted.map(ruleKey));
  const additions = wanted
    .filter((r) => !present.has(ruleKey(r)))
    .map((rule): PolicyStep => ({ kind: 'rule', change: { op: 'add', rule }, undo: { op: 'delete', rule } }));
  const removals = owned
    .filter((r) => !keys.has(ruleKey(r)))
    .sort((a, b) => REMOVAL_ORDER[a.priority] - REMOVAL_ORDER[b.priority])
    .map((r): PolicyStep => {
      const rule = ruleSpecOf(r);
      return { kind: 'rule', change: { op: 'delete', rule }, undo: { op: 'add', rule } };
    });
  return [...additions, ...removals];
}

/** Makes the rules for these resolvers (all of them away without any); `rules` is the decision's dump. */
export async function applyDnsRules(
  nl: RouteSocket,
  rules: Rule[],
  protocol: number,
  resolvers: string[] | undefined,
): Promise<PolicyChanges> {
  const wanted = resolvers?.length ? wantedDnsRules(resolvers, protocol) : [];
  return applyPolicy(nl, planDnsRules(wanted, ownedDnsRules(rules, protocol)));
}

/** `status`'s problems: each rule for these resolvers that is missing. */
export async function missingDnsRules(nl: RouteSocket, protocol: number, resolvers: string[]): Promise<string[]> {
  const present = new Set(ownedDnsRules(await nl.listRules(), protocol).map(ruleKey));
  return wantedDnsRules(resolvers, protocol)
    .filter((r) => !present.has(ruleKey(r)))
    .map((r) => `the DNS rule ${describeDnsRule(r)} is missing`);
}

function describeDnsRule(r: RuleSpec): string {
  const to = r.dst ? ` to ${r.dst}` : '';
  const what = r.action === 'goto' ? `goto ${r.goto}` : r.action;
  const transport = r.ipProto ? ` ipproto ${r.ipProto} dport ${DNS_PORT}` : '';
  return `priority ${r.priority} (IPv${r.family})${to}${transport} ${what}`;
}
