// The lockdown's filter rules (native/nft_filter.h) as the redirect plans them, checked before they go native.
import { parsePrefix, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import type { NativeFilterRule } from './native.js';
import { familyNumber } from './wire.js';

const PROTOCOLS = { tcp: 6, udp: 17, icmpv6: 58 } as const;

/** One rule of the lockdown's chains: everything it names must match, then `verdict` applies. */
export interface FilterRule {
  family?: Family;
  /** The output interface. */
  oif?: string;
  /** The destination, 'a.b.c.d/n' or 'x::/n' (a bare address is a host); needs `family`. */
  daddr?: string;
  protocol?: keyof typeof PROTOCOLS;
  sport?: number;
  dport?: number;
  /** ICMPv6 types, inclusive (protocol icmpv6). */
  icmpv6Types?: [number, number];
  /** 'reject' answers at once: a TCP reset for a TCP rule, else ICMP administratively prohibited. */
  verdict: 'accept' | 'reject';
}

function checkPort(port: number | undefined, what: string): number {
  if (port === undefined) return 0;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInputError(`invalid ${what}: ${port}`);
  return port;
}

export function nativeFilterRule(rule: FilterRule, index: number): NativeFilterRule {
  const what = `filter rule ${index + 1}`;
  if (typeof rule !== 'object' || rule === null) throw new InvalidInputError(`invalid ${what}: not an object`);
  if (rule.family !== undefined && rule.family !== 4 && rule.family !== 6)
    throw new InvalidInputError(`invalid ${what}: family must be 4 or 6`);
  const daddr = new Uint8Array(16);
  let daddrLen = 0;
  if (rule.daddr !== undefined) {
    const prefix = parsePrefix(rule.daddr, `${what} destination`);
    if (prefix.family !== rule.family)
      throw new InvalidInputError(`invalid ${what}: destination ${prefix.cidr} is not of the rule's family`);
    if (prefix.length === 0) throw new InvalidInputError(`invalid ${what}: a destination /0 is no destination`);
    daddr.set(prefix.bytes);
    daddrLen = prefix.length;
  }
  const l4proto = rule.protocol === undefined ? 0 : PROTOCOLS[rule.protocol];
  if (l4proto === undefined) throw new InvalidInputError(`invalid ${what}: protocol ${String(rule.protocol)}`);
  const ports = rule.protocol === 'tcp' || rule.protocol === 'udp';
  if ((rule.sport !== undefined || rule.dport !== undefined) && !ports)
    throw new InvalidInputError(`invalid ${what}: ports need protocol tcp or udp`);
  const [icmpTypeMin, icmpTypeMax] = rule.icmpv6Types ?? [0, 0];
  if (rule.icmpv6Types && (rule.protocol !== 'icmpv6' || !(icmpTypeMin <= icmpTypeMax && icmpTypeMax <= 255)))
    throw new InvalidInputError(`invalid ${what}: ICMPv6 types need protocol icmpv6 and a range within 0-255`);
  if (rule.verdict !== 'accept' && rule.verdict !== 'reject')
    throw new InvalidInputError(`invalid ${what}: verdict must be accept or reject`);
  return {
    family: rule.family === undefined ? 0 : familyNumber(rule.family),
    oif: rule.oif === undefined ? '' : checkInterfaceName(rule.oif),
    daddr,
    daddrLen,
    l4proto,
    sport: checkPort(rule.sport, `${what} source port`),
    dport: checkPort(rule.dport, `${what} destination port`),
    icmpTypeMin,
    icmpTypeMax,
    verdict: rule.verdict === 'accept' ? 0 : 1,
  };
}
