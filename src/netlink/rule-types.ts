// Policy routing rules (`ip rule`): what listRules returns, what addRule / deleteRule take and changeRules
// takes and returns.
import type { Family } from '../address.js';
import type { RouteFlow, Table } from './types.js';

/** What a rule does when it matches: look up a table, jump to a later rule, do nothing, or refuse. */
export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** What a rule (as listed) and a rule spec (to add or delete) share: optional fields of the same types. */
export interface RuleFields {
  /** The table looked up. */
  table?: Table;
  /** The target priority of a goto rule. */
  goto?: number;
  /** CIDR, '/32' or '/128' for a host. */
  src?: string;
  dst?: string;
  /** The input and output interfaces, by name (the kernel keeps names: a rule may name a missing device). */
  iif?: string;
  oif?: string;
  fwmark?: number;
  /** The mask under which fwmark matches; without one, the full mask 0xffffffff. */
  fwmask?: number;
  /** Routes with a prefix this long or shorter are ignored (`suppress_prefixlength`). */
  suppressPrefixLength?: number;
  /** [first, last] uid. */
  uidRange?: [number, number];
  /** The selector is inverted (`not`). */
  invert?: boolean;
}

/**
 * A rule as the kernel reports it. Fields that do not match anything (from all, no mark, ...) are absent;
 * names are iproute2's, numbers stand where it has no name.
 */
export interface Rule extends RuleFields {
  family: Family;
  priority: number;
  action: RuleAction;
  /** The table looked up (present whenever the kernel reports one, as `ip rule` prints `lookup`). */
  table?: Table;
  /** Absent when it is the full mask 0xffffffff (as `ip rule` shows it). */
  fwmask?: number;
  /** The IP protocol matched: 'tcp', 'udp', ... or the number where no name is known. */
  ipProto?: string;
  /** [first, last] port. */
  sport?: [number, number];
  dport?: [number, number];
  /** Who made the rule: 'kernel' for the defaults, 'unspec' for rules added without one (as `ip rule add` does). */
  protocol: string;
  /** The TOS byte matched. */
  tos?: number;
  /** Routes through a device of this group are ignored (`suppress_ifgroup`). */
  suppressIfgroup?: number;
  /** The realms (FRA_FLOW), as a route's. */
  flow?: RouteFlow;
  /** The named interface does not exist (now). */
  iifDetached?: boolean;
  oifDetached?: boolean;
  /** A goto rule whose target priority has no rule (now). */
  unresolved?: boolean;
}

/**
 * A rule to add or delete. For an add, the defaults are `ip rule add`'s: family from the addresses (IPv4 if
 * none), action 'lookup' (or 'goto' when `goto` is given), table 'main' for a lookup, no protocol, and the
 * kernel chooses the priority when none is given. For a delete only the fields given are matched, as
 * `ip rule del` matches them.
 */
export interface RuleSpec extends RuleFields {
  family?: Family;
  priority?: number;
  action?: RuleAction;
  /** A name ('tcp', 'udp', 'icmp', 'ipv6-icmp', 'sctp', ...) or a number. */
  ipProto?: string | number;
  /** A port or [first, last]. */
  sport?: number | [number, number];
  dport?: number | [number, number];
  protocol?: string | number;
}

export interface ListRulesOptions {
  /** Both families when omitted (IPv4 first). */
  family?: Family;
}

/** A rule to add (`ip rule add`) or delete (`ip rule del`): what changeRules takes. */
export interface RuleChange {
  op: 'add' | 'delete';
  rule: RuleSpec;
}

export interface RuleChangeResult {
  change: RuleChange;
  /** Present when the kernel refused this change (EEXIST for an add, ENOENT for a delete, ...). */
  error?: import('../errors.js').NetlinkError;
}
