// A "LAN": a veth pair between a client namespace and a router namespace, with addresses on both ends and,
// in the client, default routes through the router. The seed scenario of the redirect tests:
//
//   client ns                      router ns
//   eth0 192.168.1.2/24  <-veth->  eth0 192.168.1.1/24
//        fd00:1::2/64                   fd00:1::1/64
//   default via 192.168.1.1, default via fd00:1::1
import { ip } from './ip.js';
import { waitForLink } from './links.js';
import { createNetns, enableForwarding } from './netns.js';

export interface LanOptions {
  /** The client namespace; a new one when omitted. */
  client?: string;
  /** The namespace holding the other end (the gateway); a new one when omitted. */
  router?: string;
  clientDev?: string;
  routerDev?: string;
  /**
   * MAC addresses of the two ends; default 02:00:00:00:01:02 (client) and 02:00:00:00:01:01 (router).
   * Fixed, so that the IPv6 link-local addresses (and their routes) are the same in every LAN built with
   * the same options: two namespaces built alike have identical routing tables.
   */
  clientMac?: string;
  routerMac?: string;
  /** CIDR on the client's end; default 192.168.1.2/24. */
  clientAddress?: string;
  /** CIDR on the router's end; default 192.168.1.1/24. Its address is the client's IPv4 gateway. */
  routerAddress?: string;
  /** IPv6 CIDR on the client's end (added nodad); default fd00:1::2/64; null for an IPv4-only LAN. */
  clientAddress6?: string | null;
  /** IPv6 CIDR on the router's end; default fd00:1::1/64. */
  routerAddress6?: string | null;
  /** Add default routes in the client through the router (IPv4, and IPv6 when it has addresses); default true. */
  defaultRoute?: boolean;
  /** Turn on forwarding in the router namespace; default false. */
  forwarding?: boolean;
}

export interface Lan {
  client: string;
  router: string;
  clientDev: string;
  routerDev: string;
  /** Bare addresses, e.g. '192.168.1.2'. */
  clientAddress: string;
  gateway: string;
  /** The connected prefix, e.g. '192.168.1.0/24'. */
  prefix: string;
  clientAddress6?: string;
  gateway6?: string;
  prefix6?: string;
}

const bare = (cidr: string) => cidr.split('/')[0];

/** Builds the LAN; everything it makes goes away with its namespaces (see createNetns). */
export async function createLan(options: LanOptions = {}): Promise<Lan> {
  const client = options.client ?? (await createNetns('client'));
  const router = options.router ?? (await createNetns('router'));
  if (client === router) throw new Error('createLan: client and router must be different namespaces');
  const clientDev = options.clientDev ?? 'eth0';
  const routerDev = options.routerDev ?? 'eth0';
  const clientAddress = options.clientAddress ?? '192.168.1.2/24';
  const routerAddress = options.routerAddress ?? '192.168.1.1/24';
  const clientAddress6 = options.clientAddress6 === undefined ? 'fd00:1::2/64' : options.clientAddress6;
  const routerAddress6 = options.routerAddress6 === undefined ? 'fd00:1::1/64' : options.routerAddress6;

  const clientMac = options.clientMac ?? '02:00:00:00:01:02';
  const routerMac = options.routerMac ?? '02:00:00:00:01:01';

  // Created inside the client namespace, its peer directly inside the router's: both may be called eth0.
  await ip(
    client,
    'link',
    'add',
    'name',
    clientDev,
    'address',
    clientMac,
    'type',
    'veth',
    'peer',
    'name',
    routerDev,
    'address',
    routerMac,
    'netns',
    router,
  );
  await ip(client, 'address', 'add', clientAddress, 'dev', clientDev);
  await ip(router, 'address', 'add', routerAddress, 'dev', routerDev);
  if (clientAddress6) await ip(client, 'address', 'add', clientAddress6, 'dev', clientDev, 'nodad');
  if (routerAddress6) await ip(router, 'address', 'add', routerAddress6, 'dev', routerDev, 'nodad');
  await ip(client, 'link', 'set', clientDev, 'up');
  await ip(router, 'link', 'set', routerDev, 'up');
  // Carrier, link-local addresses and their routes come a moment later: wait, so that tests start from
  // a table that no longer changes by itself.
  await waitForLink(client, clientDev);
  await waitForLink(router, routerDev);
  if (options.defaultRoute ?? true) {
    await ip(client, 'route', 'add', 'default', 'via', bare(routerAddress), 'dev', clientDev);
    if (clientAddress6 && routerAddress6) {
      await ip(client, '-6', 'route', 'add', 'default', 'via', bare(routerAddress6), 'dev', clientDev);
    }
  }
  if (options.forwarding) await enableForwarding(router);

  const lan: Lan = {
    client,
    router,
    clientDev,
    routerDev,
    clientAddress: bare(clientAddress),
    gateway: bare(routerAddress),
    prefix: (await connectedPrefix(client, clientDev, 4))!,
  };
  if (clientAddress6) {
    lan.clientAddress6 = bare(clientAddress6);
    lan.prefix6 = await connectedPrefix(client, clientDev, 6);
  }
  if (routerAddress6) lan.gateway6 = bare(routerAddress6);
  return lan;
}

/** The kernel's connected route on dev (so the prefix is in the kernel's own canonical form). */
async function connectedPrefix(ns: string, dev: string, family: 4 | 6): Promise<string | undefined> {
  const out = await ip(ns, '-j', `-${family}`, 'route', 'show', 'dev', dev, 'proto', 'kernel');
  const routes = JSON.parse(out || '[]') as { dst: string }[];
  const dst = routes.find((r) => !r.dst.startsWith('fe80'))?.dst;
  return dst;
}
