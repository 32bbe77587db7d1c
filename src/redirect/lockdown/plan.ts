// The lockdown's rules, planned from what the kernel shows (pure). Every chain of our table (output, and forward
// for a router) holds the same list, first match wins:
//   lo and the VPN interface: accepted;
//   tinc's own traffic: TCP and UDP to each server's (and mesh peer's) address and port;
//   DHCP (udp 68 -> 67), DHCPv6 (546 -> 547), IPv6 router solicitation/advertisement and neighbour discovery;
//   DNS (port 53) anywhere else: refused, so names are asked only through the VPN;
//   the LAN as its policy says, each network only out of its own interface, and the uplink's gateway;
//   everything else: refused at once (TCP reset, ICMP administratively prohibited).
import { addressLength, formatAddress, parsePrefix, type Address, type Family, type Prefix } from '../../address.js';
import type { FilterRule } from '../../netlink/index.js';
import type { LanPolicy } from './options.js';

/** A network of one of this host's own addresses. */
export interface Connected {
  dev: string;
  prefix: string;
}

export interface LockdownView {
  vpn: string;
  lan: LanPolicy;
  /** The server's and the mesh peers' real addresses (tinc's own traffic goes to them). */
  servers: Address[];
  port: number;
  /** The networks of this host's addresses on interfaces other than lo and the VPN's. */
  connected: Connected[];
  /** The uplink's gateways (the next hop to the server), which `private` and `block` keep reachable. */
  gateways: { dev: string; address: Address }[];
}

/** Ranges parsed when first asked about, not at load: every hook loads this module, few lock down. */
function ranges(texts: string[]): () => Prefix[] {
  let parsed: Prefix[] | undefined;
  return () => (parsed ??= texts.map((p) => parsePrefix(p)));
}

const PRIVATE = ranges(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']);

/** Whether the prefix lies within the range. */
function within(prefix: Prefix, range: Prefix): boolean {
  if (prefix.family !== range.family || prefix.length < range.length) return false;
  for (let bit = 0; bit < range.length; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((prefix.bytes[bit >> 3] & mask) !== (range.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

const LINK_LOCAL = ranges(['169.254.0.0/16', 'fe80::/10']);

/** Link-local networks are reached on their link only: no tunnel can carry them. */
export function isLinkLocal(prefix: string): boolean {
  const p = parsePrefix(prefix);
  return LINK_LOCAL().some((range) => within(p, range));
}

export function isPrivate(prefix: string): boolean {
  const p = parsePrefix(prefix);
  return PRIVATE().some((range) => within(p, range));
}

/** The network an address with this prefix length is in, as 'a.b.c.d/n'. */
export function networkOf(family: Family, local: string, length: number): string {
  const bytes = parsePrefix(local).bytes.slice();
  for (let bit = length; bit < addressLength(family) * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `${formatAddress(family, bytes)}/${length}`;
}

/** The LAN networks the policy lets through (out of their own interface). */
export function lanThrough(lan: LanPolicy, connected: Connected[]): Connected[] {
  if (lan === 'block') return [];
  return connected.filter((c) => lan === 'allow' || isPrivate(c.prefix));
}

export function planLockdown(view: LockdownView): FilterRule[] {
  const seen = new Set<string>();
  const unique = <T>(items: T[], key: (item: T) => string) =>
    items.filter((item) => !seen.has(key(item)) && seen.add(key(item)));
  const servers = unique(view.servers, (a) => `server ${a.text}`);
  const lan = unique(lanThrough(view.lan, view.connected), (c) => `lan ${c.dev} ${c.prefix}`);
  const gateways = view.lan === 'allow' ? [] : unique(view.gateways, (g) => `gateway ${g.dev} ${g.address.text}`);
  return [
    { oif: 'lo', verdict: 'accept' },
    { oif: view.vpn, verdict: 'accept' },
    ...servers.flatMap((a) =>
      (['tcp', 'udp'] as const).map((protocol): FilterRule => ({
        family: a.family,
        daddr: a.text,
        protocol,
        dport: view.port,
        verdict: 'accept',
      })),
    ),
    { family: 4, protocol: 'udp', sport: 68, dport: 67, verdict: 'accept' },
    { family: 6, protocol: 'udp', sport: 546, dport: 547, verdict: 'accept' },
    { family: 6, protocol: 'icmpv6', icmpv6Types: [133, 136], verdict: 'accept' },
    { protocol: 'udp', dport: 53, verdict: 'reject' },
    { protocol: 'tcp', dport: 53, verdict: 'reject' },
    ...lan.map((c): FilterRule => ({
      family: parsePrefix(c.prefix).family,
      oif: c.dev,
      daddr: c.prefix,
      verdict: 'accept',
    })),
    ...gateways.map((g): FilterRule => ({
      family: g.address.family,
      oif: g.dev,
      daddr: g.address.text,
      verdict: 'accept',
    })),
    { protocol: 'tcp', verdict: 'reject' },
    { verdict: 'reject' },
  ];
}
