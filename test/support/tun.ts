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
  return { ns, name };
}
