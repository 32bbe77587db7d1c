// Turns a user's RuleSpec into the kernel's numbers, validating every field and filling in the defaults that
// `ip rule add` uses, so that addRule(x) means what `ip rule add x` means and deleteRule(x) matches what
// `ip rule del x` matches.
import { parsePrefix, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import type { NativeRule } from './native.js';
import { FIB_RULE_INVERT, ipProtocols, ruleActions } from './rule-constants.js';
import type { RuleAction, RuleSpec } from './rule-types.js';
import { protocolNumber, tableNumber } from './route-spec.js';
import { familyNumber } from './wire.js';

const FIELDS = new Set([
  'family',
  'priority',
  'action',
  'table',
  'goto',
  'src',
  'dst',
  'iif',
  'oif',
  'fwmark',
  'fwmask',
  'suppressPrefixLength',
  'uidRange',
  'ipProto',
  'sport',
  'dport',
  'protocol',
  'invert',
]);

function range(value: unknown, what: string, max: number): [number, number] {
  const [first, last] = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : [];
  if (!Array.isArray(value) ? typeof value !== 'number' : value.length !== 2) {
    throw new InvalidInputError(`invalid ${what}: expected a number or [first, last]`);
  }
  checkUint(first, what, max);
  checkUint(last, what, max);
  if (first > last) throw new InvalidInputError(`invalid ${what}: ${first} is above ${last}`);
  return [first, last];
}

function ipProtoNumber(value: string | number): number {
  const n = typeof value === 'string' && Object.hasOwn(ipProtocols, value) ? ipProtocols[value] : value;
  if (typeof n !== 'number') throw new InvalidInputError(`invalid IP protocol: ${JSON.stringify(value)}`);
  return checkUint(n, 'IP protocol', 255);
}

function action(spec: RuleSpec, add: boolean): RuleAction | undefined {
  const given = spec.action;
  if (given !== undefined && !Object.hasOwn(ruleActions, given)) {
    throw new InvalidInputError(
      `invalid rule action: ${JSON.stringify(given)} (${Object.keys(ruleActions).join(', ')})`,
    );
  }
  if (given === undefined && !add) return spec.goto !== undefined ? 'goto' : undefined;
  return given ?? (spec.goto !== undefined ? 'goto' : 'lookup');
}

/** The rule in the addon's form; throws InvalidInputError before anything is sent. */
export function nativeRuleSpec(spec: RuleSpec, add: boolean): NativeRule<Uint8Array> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidInputError('invalid rule: expected an object');
  for (const key in spec) {
    if (!FIELDS.has(key) && Object.hasOwn(spec, key)) {
      throw new InvalidInputError(`invalid rule: unknown field ${JSON.stringify(key)}`);
    }
  }
  if (spec.family !== undefined && spec.family !== 4 && spec.family !== 6) {
    throw new InvalidInputError(`invalid family: ${JSON.stringify(spec.family)}`);
  }
  const src = spec.src === undefined ? undefined : parsePrefix(spec.src, 'source');
  const dst = spec.dst === undefined ? undefined : parsePrefix(spec.dst, 'destination');
  const family: Family = spec.family ?? src?.family ?? dst?.family ?? 4;
  for (const p of [src, dst]) {
    if (p && p.family !== family) throw new InvalidInputError(`invalid rule: ${p.cidr} is not an IPv${family} prefix`);
  }
  const act = action(spec, add);
  if (spec.goto !== undefined && act !== 'goto') throw new InvalidInputError('invalid rule: goto is a goto action');
  if (add && act === 'goto' && spec.goto === undefined) {
    throw new InvalidInputError('invalid rule: a goto rule needs its target priority (goto)');
  }
  if (spec.table !== undefined && act !== undefined && act !== 'lookup') {
    throw new InvalidInputError(`invalid rule: a ${act} rule looks up no table`);
  }
  if (spec.suppressPrefixLength !== undefined && act !== undefined && act !== 'lookup') {
    throw new InvalidInputError('invalid rule: suppressPrefixLength belongs to a lookup');
  }
  if (spec.fwmask !== undefined && spec.fwmark === undefined) {
    throw new InvalidInputError('invalid rule: fwmask without fwmark');
  }
  if (spec.invert !== undefined && typeof spec.invert !== 'boolean') {
    throw new InvalidInputError('invalid rule: invert is true or false');
  }
  const rule: NativeRule<Uint8Array> = {
    family: familyNumber(family),
    action: act === undefined ? 0 : ruleActions[act],
    flags: spec.invert ? FIB_RULE_INVERT : 0,
    table: spec.table !== undefined ? tableNumber(spec.table) : add && act === 'lookup' ? tableNumber('main') : 0,
    srcLen: src?.length ?? 0,
    dstLen: dst?.length ?? 0,
    tos: 0,
  };
  const optional = (name: keyof NativeRule<Uint8Array>, value: number | string | Uint8Array | undefined) => {
    if (value !== undefined) Object.assign(rule, { [name]: value });
  };
  optional('priority', spec.priority === undefined ? undefined : checkUint(spec.priority, 'priority'));
  optional('src', src?.bytes);
  optional('dst', dst?.bytes);
  optional('iif', spec.iif === undefined ? undefined : checkInterfaceName(spec.iif));
  optional('oif', spec.oif === undefined ? undefined : checkInterfaceName(spec.oif));
  optional('fwmark', spec.fwmark === undefined ? undefined : checkUint(spec.fwmark, 'fwmark'));
  optional('fwmask', spec.fwmask === undefined ? undefined : checkUint(spec.fwmask, 'fwmask'));
  optional('goto', spec.goto === undefined ? undefined : checkUint(spec.goto, 'goto target'));
  optional(
    'suppressPrefixLength',
    spec.suppressPrefixLength === undefined
      ? undefined
      : checkUint(spec.suppressPrefixLength, 'suppressPrefixLength', family === 4 ? 32 : 128),
  );
  optional('ipProto', spec.ipProto === undefined ? undefined : ipProtoNumber(spec.ipProto));
  optional('protocol', spec.protocol === undefined ? undefined : protocolNumber(spec.protocol));
  if (spec.uidRange !== undefined) {
    if (!Array.isArray(spec.uidRange)) throw new InvalidInputError('invalid uid range: expected [first, last]');
    [rule.uidStart, rule.uidEnd] = range(spec.uidRange, 'uid range', 0xffffffff);
  }
  if (spec.sport !== undefined) [rule.sportStart, rule.sportEnd] = range(spec.sport, 'source port', 65535);
  if (spec.dport !== undefined) [rule.dportStart, rule.dportEnd] = range(spec.dport, 'destination port', 65535);
  return rule;
}
