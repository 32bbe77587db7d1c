// Rules as iproute2 shows them (ip/iprule.c print_rule): the lines of `ip rule show`, and the objects of
// `ip -j rule show`, numbers named as ip names them.
import { protocolNumber, tableNumber, type Rule, type RouteFlow } from '../netlink/index.js';
import { ipNames } from './iproute2-names.js';

function protocolText(name: string): string {
  return ipNames().protocol(protocolNumber(name));
}

function tableText(table: NonNullable<Rule['table']>): string {
  return ipNames().table(typeof table === 'number' ? table : tableNumber(table));
}

/** FRA_FLOW's realms by ip's names: [from, to], from only where not 0. */
function realms(flow: RouteFlow): [string | undefined, string] {
  return [flow.from ? ipNames().realm(flow.from) : undefined, ipNames().realm(flow.to)];
}

/** C's %#x: '0' for zero, else 0x and the hex digits. */
function hex(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

function hostLength(rule: Rule): number {
  return rule.family === 4 ? 32 : 128;
}

/** An address and its length apart, the length left out for a host (as ip prints a selector). */
function split(rule: Rule, cidr: string): [string, number | undefined] {
  const [address, length] = cidr.split('/');
  return [address, Number(length) === hostLength(rule) ? undefined : Number(length)];
}

function portText([first, last]: [number, number]): string {
  return first === last ? String(first) : `${first}-${last}`;
}

/** Shown by ip only when the protocol says someone made it: not for 'unspec' or the kernel's own. */
function shownProtocol(rule: Rule): string | undefined {
  return rule.protocol === 'unspec' || rule.protocol === 'kernel' ? undefined : protocolText(rule.protocol);
}

/** One rule as a line of `ip rule show`: '5201:\tfrom all to 198.51.100.10 unreachable'. */
export function formatRule(rule: Rule): string {
  let s = `${rule.priority}:\t${rule.invert ? 'not ' : ''}from `;
  if (rule.src) {
    const [address, length] = split(rule, rule.src);
    s += length === undefined ? address : `${address}/${length}`;
  } else {
    s += 'all';
  }
  if (rule.dst) {
    const [address, length] = split(rule, rule.dst);
    s += ` to ${address}${length === undefined ? '' : `/${length}`}`;
  }
  if (rule.tos) s += ` tos ${ipNames().dsfield(rule.tos)}`;
  if (rule.fwmark !== undefined)
    s += ` fwmark ${hex(rule.fwmark)}${rule.fwmask === undefined ? '' : `/${hex(rule.fwmask)}`}`;
  if (rule.iif !== undefined) s += ` iif ${rule.iif}${rule.iifDetached ? ' [detached]' : ''}`;
  if (rule.oif !== undefined) s += ` oif ${rule.oif}${rule.oifDetached ? ' [detached]' : ''}`;
  if (rule.uidRange) s += ` uidrange ${rule.uidRange[0]}-${rule.uidRange[1]}`;
  if (rule.ipProto !== undefined) s += ` ipproto ${rule.ipProto}`;
  if (rule.sport) s += ` sport ${portText(rule.sport)}`;
  if (rule.dport) s += ` dport ${portText(rule.dport)}`;
  if (rule.table !== undefined) {
    s += ` lookup ${tableText(rule.table)}`;
    if (rule.suppressPrefixLength !== undefined) s += ` suppress_prefixlength ${rule.suppressPrefixLength}`;
    if (rule.suppressIfgroup !== undefined) s += ` suppress_ifgroup ${ipNames().group(rule.suppressIfgroup)}`;
  }
  if (rule.flow) {
    const [from, to] = realms(rule.flow);
    s += ` realms ${from === undefined ? '' : `${from}/`}${to}`;
  }
  if (rule.action === 'goto') s += ` goto ${rule.goto ?? 'none'}${rule.unresolved ? ' [unresolved]' : ''}`;
  else if (rule.action !== 'lookup') s += ` ${rule.action}`;
  const protocol = shownProtocol(rule);
  if (protocol !== undefined) s += ` proto ${protocol}`;
  return s;
}

/** One rule as `ip -j rule show` prints it: its names, its order, its types (null for a flag). */
export function ruleJson(rule: Rule): Record<string, unknown> {
  const o: Record<string, unknown> = { priority: rule.priority };
  if (rule.invert) o.not = null;
  const selector = (name: string, cidr: string | undefined) => {
    if (cidr === undefined) return;
    const [address, length] = split(rule, cidr);
    o[name] = address;
    if (length !== undefined) o[`${name}len`] = length;
  };
  if (rule.src) selector('src', rule.src);
  else o.src = 'all';
  selector('dst', rule.dst);
  if (rule.tos) o.tos = ipNames().dsfield(rule.tos);
  if (rule.fwmark !== undefined) o.fwmark = hex(rule.fwmark);
  if (rule.fwmask !== undefined) o.fwmask = hex(rule.fwmask);
  if (rule.iif !== undefined) o.iif = rule.iif;
  if (rule.iifDetached) o.iif_detached = null;
  if (rule.oif !== undefined) o.oif = rule.oif;
  if (rule.oifDetached) o.oif_detached = null;
  if (rule.uidRange) [o.uid_start, o.uid_end] = rule.uidRange;
  if (rule.ipProto !== undefined) o.ipproto = rule.ipProto;
  for (const [name, ports] of [
    ['sport', rule.sport],
    ['dport', rule.dport],
  ] as const) {
    if (!ports) continue;
    if (ports[0] === ports[1]) o[name] = ports[0];
    else [o[`${name}_start`], o[`${name}_end`]] = ports;
  }
  if (rule.table !== undefined) {
    o.table = tableText(rule.table);
    if (rule.suppressPrefixLength !== undefined) o.suppress_prefixlen = rule.suppressPrefixLength;
    if (rule.suppressIfgroup !== undefined) o.suppress_ifgroup = ipNames().group(rule.suppressIfgroup);
  }
  if (rule.flow) {
    const [from, to] = realms(rule.flow);
    if (from !== undefined) o.flow_from = from;
    o.flow_to = to;
  }
  if (rule.action === 'goto') {
    o.goto = rule.goto ?? 'none';
    if (rule.unresolved) o.unresolved = null;
  } else if (rule.action === 'nop') {
    o.nop = null;
  } else if (rule.action !== 'lookup') {
    o.action = rule.action;
  }
  const protocol = shownProtocol(rule);
  if (protocol !== undefined) o.protocol = protocol;
  return o;
}
