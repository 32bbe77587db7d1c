// Validation of the strategy's options (`strategy`, `table`, `priority`) and of the leak protections that
// both strategies honour (`killSwitch`, `blockIpv6`).
import { InvalidInputError } from '../errors.js';
import { checkUint } from '../names.js';

export type Strategy = 'halves' | 'rules';

/** The table of ours that holds the VPN's default route under `--strategy rules` (157: our protocol's number). */
export const RULES_TABLE = 157;
/** The first of our four rule priorities under `--strategy rules`: after most users' rules, before main (32766). */
export const RULES_PRIORITY = 30157;
/** How many consecutive priorities the rules strategy takes, from `priority` on. */
export const RULES_PRIORITIES = 4;
/** The kill switch's two rules for sockets bound to the uplink (uplink-rules.ts): just before RULES_PRIORITY. */
export const UPLINK_PRIORITY = 30155;
export const UPLINK_PRIORITIES = 2;
/** The kill switch's three rules that keep DNS to the VPN's resolvers (dns-rules.ts): just before those. */
export const DNS_PRIORITY = 30152;
export const DNS_PRIORITIES = 3;
/** The halves strategy's two rules refusing the server with no path outside the VPN (refusal-rules.ts): just before main (32766). */
export const REFUSAL_PRIORITY = 32764;
export const REFUSAL_PRIORITIES = 2;
/** The highest priority a rules strategy's rule may take: the halves' refusal rules follow. */
const LAST_PRIORITY = REFUSAL_PRIORITY - 1;
/** Tables the kernel gives meaning to: unspec, default, main, local. */
const RESERVED_TABLES = new Set([0, 253, 254, 255]);

export interface StrategyOptions {
  /** 'halves' (the default): two /1 routes in main; 'rules': a table of ours and policy rules, main untouched. */
  strategy?: Strategy;
  /** Under 'rules': the table of ours (157 by default). */
  table?: number;
  /** Under 'rules': the first of our four consecutive rule priorities (30157 by default). */
  priority?: number;
  /**
   * Refuse traffic that would leave in clear while the VPN is not there, with routes of ours that no device
   * takes with it (halves: unreachable 0.0.0.0/1 + 128.0.0.0/1 and ::/1 + 8000::/1 behind the half-routes, for
   * both families whatever is redirected; rules: an unreachable default in our table). Lifted only by `down`.
   */
  killSwitch?: boolean;
  /** With an IPv4-only redirect, refuse IPv6 traffic that is not on-link. */
  blockIpv6?: boolean;
}

export interface CheckedStrategy {
  strategy: Strategy;
  table: number;
  priority: number;
  killSwitch: boolean;
  blockIpv6: boolean;
}

function checkFlag(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidInputError(`invalid ${what}: expected true or false`);
  return value;
}

export function checkStrategy(options: StrategyOptions): CheckedStrategy {
  const strategy = options.strategy ?? 'halves';
  if (strategy !== 'halves' && strategy !== 'rules') {
    throw new InvalidInputError(`invalid strategy: ${JSON.stringify(strategy)} (halves or rules)`);
  }
  if (strategy === 'halves' && (options.table !== undefined || options.priority !== undefined)) {
    throw new InvalidInputError('invalid options: table and priority belong to the rules strategy');
  }
  const table = options.table === undefined ? RULES_TABLE : checkUint(options.table, 'table');
  if (RESERVED_TABLES.has(table)) {
    throw new InvalidInputError(`invalid table: ${table} is one of the kernel's (0, 253, 254, 255)`);
  }
  const last = LAST_PRIORITY - RULES_PRIORITIES + 1;
  const priority = options.priority === undefined ? RULES_PRIORITY : checkUint(options.priority, 'priority', last);
  if (priority === 0) throw new InvalidInputError("invalid priority: 0 is the local table's");
  if (priority < UPLINK_PRIORITY + UPLINK_PRIORITIES && priority + RULES_PRIORITIES > DNS_PRIORITY) {
    throw new InvalidInputError(
      `invalid priority: ${priority}-${priority + RULES_PRIORITIES - 1} overlaps the kill switch's ${DNS_PRIORITY}-${UPLINK_PRIORITY + UPLINK_PRIORITIES - 1}`,
    );
  }
  return {
    strategy,
    table,
    priority,
    killSwitch: checkFlag(options.killSwitch, 'killSwitch'),
    blockIpv6: checkFlag(options.blockIpv6, 'blockIpv6'),
  };
}
