// The rule operations of a RouteSocket (it delegates to these): RTM_GETRULE dumps into Rule objects, and
// RTM_NEWRULE / RTM_DELRULE from validated specs, pipelined, a result per change as for routes (a large batch on
// the libuv pool, as for routes: change-batch.ts).
import type { Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { changeChunks } from './change-batch.js';
import { AF_INET6, protocols } from './constants.js';
import type { NativeRule, NativeRuleHandle } from './native.js';
import { changeResults, fromNative, type Refused } from './native-error.js';
import {
  FIB_RULE_IIF_DETACHED,
  FIB_RULE_INVERT,
  FIB_RULE_OIF_DETACHED,
  FIB_RULE_UNRESOLVED,
  FULL_MASK,
  ipProtocols,
  NO_SUPPRESS,
  ruleActions,
} from './rule-constants.js';
import { nativeRuleSpec } from './rule-spec.js';
import type { ListRulesOptions, Rule, RuleAction, RuleChange, RuleChangeResult, RuleSpec } from './rule-types.js';
import type { RouteFlow } from './types.js';
import { familyNumber, tableOf } from './wire.js';

const ACTION_NAMES = new Map<number, RuleAction>(
  Object.entries(ruleActions).map(([name, n]) => [n, name as RuleAction]),
);
const IP_PROTOCOL_NAMES = new Map<number, string>(Object.entries(ipProtocols).map(([name, n]) => [n, name]));
/**
 * Rule changes per trip to the pool: the addon reads each chunk's rules from their JS objects on the calling
 * thread, so a chunk bounds how long the event loop waits between two.
 */
const RULE_CHUNK = 1024;

/** A rule spec in a few words, for error messages: 'priority 5201 to 198.51.100.10/32 unreachable'. */
function describeRule(spec: RuleSpec): string {
  const parts = Object.entries(spec)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('-') : String(v)}`);
  return parts.join(' ') || 'all';
}

export function toRule(n: NativeRule): Rule {
  const family: Family = n.family === AF_INET6 ? 6 : 4;
  const rule: Rule = {
    family,
    priority: n.priority ?? 0,
    // An action newer than this code: its number, as iproute2 shows it.
    action: ACTION_NAMES.get(n.action) ?? (String(n.action) as RuleAction),
    protocol: protocols.name(n.protocol ?? 0),
  };
  if (n.table) rule.table = tableOf(n.table);
  if (n.goto !== undefined) rule.goto = n.goto;
  if (n.src !== undefined) rule.src = `${n.src}/${n.srcLen}`;
  if (n.dst !== undefined) rule.dst = `${n.dst}/${n.dstLen}`;
  if (n.iif !== undefined) rule.iif = n.iif;
  if (n.oif !== undefined) rule.oif = n.oif;
  if (n.fwmark !== undefined || n.fwmask !== undefined) rule.fwmark = n.fwmark ?? 0;
  if (n.fwmask !== undefined && n.fwmask !== FULL_MASK) rule.fwmask = n.fwmask;
  if (n.suppressPrefixLength !== undefined && n.suppressPrefixLength !== NO_SUPPRESS) {
    rule.suppressPrefixLength = n.suppressPrefixLength;
  }
  if (n.suppressIfgroup !== undefined && n.suppressIfgroup !== NO_SUPPRESS) rule.suppressIfgroup = n.suppressIfgroup;
  if (n.flow !== undefined) rule.flow = flowOf(n.flow);
  if (n.uidStart !== undefined) rule.uidRange = [n.uidStart, n.uidEnd!];
  if (n.ipProto !== undefined) rule.ipProto = IP_PROTOCOL_NAMES.get(n.ipProto) ?? String(n.ipProto);
  if (n.sportStart !== undefined) rule.sport = [n.sportStart, n.sportEnd!];
  if (n.dportStart !== undefined) rule.dport = [n.dportStart, n.dportEnd!];
  if (n.flags & FIB_RULE_INVERT) rule.invert = true;
  if (n.tos) rule.tos = n.tos;
  if (n.flags & FIB_RULE_IIF_DETACHED) rule.iifDetached = true;
  if (n.flags & FIB_RULE_OIF_DETACHED) rule.oifDetached = true;
  if (n.flags & FIB_RULE_UNRESOLVED) rule.unresolved = true;
  return rule;
}

export function listRules(handle: NativeRuleHandle, options: ListRulesOptions = {}): Rule[] {
  const { family } = options;
  if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
  const families = family ? [familyNumber(family)] : [familyNumber(4), familyNumber(6)];
  try {
    return handle.listRules(families).map(toRule);
  } catch (e) {
    throw fromNative(e, 'listRules');
  }
}

/** 'addRule', 'deleteRule'; a batch's transport failure is named by its first change. */
function operationName(op: RuleChange['op'] | undefined): string {
  return op ? `${op}Rule` : 'changeRules';
}

/**
 * RouteSocket.changeRules: validates every change at once (InvalidInputError: nothing is sent) and returns the
 * request, for the socket's queue to make: every change attempted, pipelined, a result each.
 */
export function changeRules(changes: RuleChange[]): (handle: NativeRuleHandle) => Promise<RuleChangeResult[]> {
  if (!Array.isArray(changes)) throw new InvalidInputError('invalid rule changes: expected an array');
  const native = changes.map((change) => {
    if (change?.op !== 'add' && change?.op !== 'delete') {
      throw new InvalidInputError(`invalid rule change op: ${JSON.stringify(change?.op)} (add or delete)`);
    }
    const add = change.op === 'add';
    return { add, rule: nativeRuleSpec(change.rule, add) };
  });
  return async (handle) => {
    const results: RuleChangeResult[] = [];
    try {
      for (const { start, end, onPool } of changeChunks(changes.length, RULE_CHUNK)) {
        changeResults(changes, start, await handle.changeRules(native.slice(start, end), onPool), refusedRule, results);
      }
    } catch (e) {
      throw fromNative(e, operationName(changes[0]?.op));
    }
    return results;
  };
}

function refusedRule({ op, rule }: RuleChange): Refused {
  return { operation: operationName(op), subject: describeRule(rule), route: rule };
}

/** FRA_FLOW: the source realm in the high 16 bits (shown when not 0), the destination realm in the low ones. */
function flowOf(flow: number): RouteFlow {
  const from = flow >>> 16;
  return from ? { from, to: flow & 0xffff } : { to: flow & 0xffff };
}
