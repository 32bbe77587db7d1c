// The server side's world: a client namespace on the VPN, the server (its VPN interface `vpn0`, its uplink `up0`)
// and an "internet" host that has no route back to the VPN, so that only masquerading brings answers home.
//
//   client  c0 172.16.1.2/16 fd00:16::2/64  <->  vpn0 172.16.1.1/16 fd00:16::1/64  server
//   server  up0 203.0.113.1/24 2001:db8:113::1/64  <->  eth0 203.0.113.7/24 2001:db8:113::7/64  inet
import { ip, ipBatch } from './ip.js';
import { createNetns, netnsExec } from './netns.js';
import { waitForLink } from './links.js';

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

/** A setting under /proc/sys, read by cat inside the namespace. */
export async function procSys(ns: string, name: string): Promise<string> {
  return (await netnsExec(ns, 'cat', [`/proc/sys/${name}`])).stdout.trim();
}
