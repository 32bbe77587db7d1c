// The server side's world: a client namespace on the VPN, the server (its VPN interface `vpn0`, its uplink `up0`)
// and an "internet" host that has no route back to the VPN, so that only masquerading brings answers home.
//
//   client  c0 172.16.1.2/16 fd00:16::2/64  <->  vpn0 172.16.1.1/16 fd00:16::1/64  server
//   server  up0 203.0.113.1/24 2001:db8:113::1/64  <->  eth0 203.0.113.7/24 2001:db8:113::7/64  inet
import { ip, ipBatch, ipJson } from './ip.js';
import { createNetns, netnsExec } from './netns.js';
import { waitForLink } from './links.js';
import { waitUntil } from './tinc.js';

export interface ServerWorld {
  client: string;
  server: string;
  inet: string;
}

export const WORLD = {
  clientVpn: '172.16.1.2',
  serverUplink: '203.0.113.1',
  internetHost: '203.0.113.7',
} as const;

export async function createServerWorld(): Promise<ServerWorld> {
  const [client, server, inet] = await Promise.all([createNetns('cli'), createNetns('srv'), createNetns('inet')]);
  // Each pair made inside one namespace, its peer directly inside the other's: the runner's namespace is untouched.
  await ip(client, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'vpn0', 'netns', server);
  await ip(server, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', inet);
  await ipBatch(client, [
    'addr add 172.16.1.2/16 dev c0',
    'addr add fd00:16::2/64 dev c0 nodad',
    'link set c0 up',
    'route add default via 172.16.1.1',
  ]);
  await ipBatch(server, [
    'addr add 172.16.1.1/16 dev vpn0',
    'addr add fd00:16::1/64 dev vpn0 nodad',
    'addr add 203.0.113.1/24 dev up0',
    'addr add 2001:db8:113::1/64 dev up0 nodad',
    'link set vpn0 up',
    'link set up0 up',
    'route add default via 203.0.113.7',
    'route add default via 2001:db8:113::7',
  ]);
  await ipBatch(inet, [
    'addr add 203.0.113.7/24 dev eth0',
    'addr add 2001:db8:113::7/64 dev eth0 nodad',
    'link set eth0 up',
  ]);
  await Promise.all([
    waitForLink(client, 'c0'),
    waitForLink(server, 'vpn0'),
    waitForLink(server, 'up0'),
    waitForLink(inet, 'eth0'),
  ]);
  return { client, server, inet };
}

/** `nft ARGS...` inside the namespace; its output. */
export async function nft(ns: string, ...args: string[]): Promise<string> {
  return (await netnsExec(ns, 'nft', args)).stdout;
}

/** The whole ruleset as nft prints it (JSON, handles included): the oracle for "exactly as before". */
export function ruleset(ns: string): Promise<string> {
  return nft(ns, '-j', 'list', 'ruleset');
}

/** Routes of every table, rules (both families) and the nft ruleset, as `down` must leave them. */
export async function kernelState(ns: string): Promise<string> {
  const routes = await ip(ns, '-j', 'route', 'show', 'table', 'all');
  const routes6 = await ip(ns, '-6', '-j', 'route', 'show', 'table', 'all');
  const rules = (await ip(ns, '-j', 'rule', 'show')) + (await ip(ns, '-6', '-j', 'rule', 'show'));
  return routes + routes6 + rules + (await ruleset(ns));
}

/** A setting under /proc/sys, read by cat inside the namespace. */
export async function procSys(ns: string, name: string): Promise<string> {
  return (await netnsExec(ns, 'cat', [`/proc/sys/${name}`])).stdout.trim();
}

/**
 * Every net.* setting of the namespace as `sysctl -a` prints it there (a netns shows its own net.*), name ->
 * value: the oracle for "every setting as it was". Left out: net.netfilter.nf_conntrack_count (the connections
 * tracked now, which masquerading makes and which expire by themselves), and what sysctl cannot read
 * (stable_secret, unset: an error on stderr).
 */
export async function netSettings(ns: string): Promise<Record<string, string>> {
  const { stdout } = await netnsExec(ns, 'sysctl', ['-a']);
  const settings: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [name, value] = line.split(' = ');
    if (name.startsWith('net.') && name !== 'net.netfilter.nf_conntrack_count') settings[name] = value ?? '';
  }
  return settings;
}

/**
 * Loads what a nat chain needs (nf_nat, nf_conntrack) by making one and deleting it, as serve's table would: a
 * kernel that has them as modules adds their net.netfilter.* settings to every namespace when it loads them,
 * which netSettings must not see appear between before and after.
 */
export async function loadNat(ns: string): Promise<void> {
  await nft(ns, 'add table ip nat_probe; add chain ip nat_probe c { type nat hook postrouting priority 0; }');
  await nft(ns, 'delete table ip nat_probe');
}

/** Writes the value into every /proc/sys/GLOB inside the namespace, like `sysctl -w` for each (a shell glob). */
export async function writeProcSys(ns: string, glob: string, value: string): Promise<void> {
  await netnsExec(ns, 'sh', ['-c', `for f in /proc/sys/${glob}; do echo ${value} > "$f"; done`]);
}

// One router advertisement (RFC 4861 4.2) from SOURCE out of DEV to all nodes: hop limit 255, router lifetime
// 1800 s, no options; the kernel fills in the ICMPv6 checksum of a raw socket.
const ROUTER_ADVERTISEMENT = `
import socket, struct, sys
dev, source = sys.argv[1], sys.argv[2]
index = socket.if_nametoindex(dev)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
s.bind((source, 0, 0, index))
s.sendto(struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0), ('ff02::1', 0, 0, index))
`;

interface IpRoute {
  dst: string;
  dev?: string;
  protocol?: string;
}

/** The namespace's IPv6 default routes as ip shows them. */
export function ipv6Defaults(ns: string): Promise<IpRoute[]> {
  return ipJson<IpRoute[]>(ns, '-6', 'route', 'show', 'default');
}

/**
 * SLAAC on the server's uplink: its static IPv6 default route replaced by one the kernel learns from a router
 * advertisement that the internet side (fe80::7 on eth0) sends; returns once `ip -6 route` shows it (proto ra).
 */
export async function advertiseDefaultRoute(world: ServerWorld): Promise<void> {
  await ip(world.server, '-6', 'route', 'del', 'default');
  await ip(world.inet, 'addr', 'add', 'fe80::7/64', 'dev', 'eth0', 'nodad');
  await netnsExec(world.inet, 'python3', ['-c', ROUTER_ADVERTISEMENT, 'eth0', 'fe80::7']);
  const learned = async () => (await ipv6Defaults(world.server)).some((r) => r.protocol === 'ra');
  await waitUntil(learned, 10_000, () => 'the server did not learn a default route from the advertisement');
}
