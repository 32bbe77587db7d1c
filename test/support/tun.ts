// A tun device inside a namespace, as a VPN daemon would have: `ip tuntap add mode tun name vpn`.
// Without a process attached it has no carrier (routes through it show `linkdown`) but takes addresses and
// routes like a live one. A daemon that needs the device itself (tincd) creates its own instead.
import { ip } from './ip.js';

export interface TunOptions {
  /** Default 'vpn'. */
  name?: string;
  /** CIDR, e.g. '10.8.0.2/24'; none when omitted. */
  address?: string;
  /** Point-to-point peer address (`ip address add ADDRESS peer PEER`). */
  peer?: string;
  /** IPv6 CIDR, added nodad. */
  address6?: string;
  /** Bring the device up; default true. */
  up?: boolean;
  mtu?: number;
}

export interface Tun {
  ns: string;
  name: string;
}

/** Creates the tun device; it goes away with its namespace. */
export async function createTun(ns: string, options: TunOptions = {}): Promise<Tun> {
  const name = options.name ?? 'vpn';
  await ip(ns, 'tuntap', 'add', 'mode', 'tun', 'name', name);
  if (options.mtu !== undefined) await ip(ns, 'link', 'set', name, 'mtu', String(options.mtu));
  if (options.address) {
    const peer = options.peer ? ['peer', options.peer] : [];
    await ip(ns, 'address', 'add', options.address, ...peer, 'dev', name);
  }
  if (options.address6) await ip(ns, 'address', 'add', options.address6, 'dev', name, 'nodad');
  if (options.up ?? true) await ip(ns, 'link', 'set', name, 'up');
  if (options.address6 && (options.up ?? true)) await localRouteSettled(ns, options.address6.split('/')[0]);
  return { ns, name };
}

/**
 * The kernel adds an IPv6 address's local route from a work queue, a moment after `ip address add` returns
 * (even with nodad): wait for it, so that tests comparing tables do not race it.
 */
async function localRouteSettled(ns: string, address: string): Promise<void> {
  for (const deadline = Date.now() + 2000; Date.now() < deadline;) {
    if ((await ip(ns, '-6', 'route', 'show', 'table', 'local', address)).trim()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the local route of ${address} never appeared in ${ns}`);
}
