// The netlink tests' usual client: a LAN (lan.ts) whose client namespace also has a tun device `vpn`
// (10.8.0.2/24 and fd00:8::2/64, up, no carrier), optionally some routes of the test's own, and a RouteSocket
// open in the client namespace. Everything goes away when the test (or file) ends: the socket is closed
// (defer) before the namespaces are deleted.
//
//   let lan: Lan;
//   let nl: RouteSocket;
//   beforeEach(async () => ({ lan, nl } = await createTunClient({ routes: ['route add 10.1.0.0/16 via 192.168.1.1'] })));
import { netlink, type OpenOptions, type RouteSocket } from '../../src/index.js';
import { defer } from './cleanup.js';
import { ipBatch } from './ip.js';
import { createLan, type Lan } from './lan.js';
import { createTun } from './tun.js';

export const TUN_ADDRESS = '10.8.0.2/24';
export const TUN_ADDRESS6 = 'fd00:8::2/64';

export interface TunClientOptions {
  /** `ip -batch` lines run in the client namespace after the tun device is made (write protocols as numbers). */
  routes?: readonly string[];
}

/** The LAN with the tun device `vpn` in its client namespace, and the routes asked for. */
export async function createTunLan(options: TunClientOptions = {}): Promise<Lan> {
  const lan = await createLan();
  await createTun(lan.client, { address: TUN_ADDRESS, address6: TUN_ADDRESS6 });
  if (options.routes?.length) await ipBatch(lan.client, options.routes);
  return lan;
}

/** A RouteSocket in the namespace, closed when the test (or file) ends. */
export async function openSocket(ns: string, options: Omit<OpenOptions, 'netns'> = {}): Promise<RouteSocket> {
  const nl = await netlink.open({ ...options, netns: ns });
  defer(() => nl.close());
  return nl;
}

/** createTunLan, and a RouteSocket open in its client namespace. */
export async function createTunClient(options: TunClientOptions = {}): Promise<{ lan: Lan; nl: RouteSocket }> {
  const lan = await createTunLan(options);
  return { lan, nl: await openSocket(lan.client) };
}

/**
 * Twin clients built alike, for checking a change against iproute2: the API in `twins[0]` (through `nl`), the
 * same `ip` command in `twins[1]`.
 */
export async function createTwinClients(): Promise<{ twins: [string, string]; nl: RouteSocket }> {
  const made = await Promise.all([createTunLan(), createTunLan()]);
  return { twins: [made[0].client, made[1].client], nl: await openSocket(made[0].client) };
}
