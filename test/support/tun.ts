// A tun device inside a namespace, as a VPN daemon would have: `ip tuntap add mode tun name vpn`.
// Without a process attached it has no carrier (routes through it show `linkdown`) but takes addresses and
// routes like a live one. A daemon that needs the device itself (tincd) creates its own instead. holdTun attaches
// a process, as a running VPN daemon is: carrier, until it is killed.
import { defer } from './cleanup.js';
import { start } from './exec.js';
import { ip, ipJson } from './ip.js';
import { waitUntil } from './tinc.js';

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
  /** A process holds it open (holdTun), as a running VPN daemon would: carrier, healthy for `status`. */
  held?: boolean;
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
  if (options.held) await holdTun({ ns, name });
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

/** Opens the persistent device (TUNSETIFF, IFF_TUN | IFF_NO_PI) and sleeps: the device has carrier while it lives. */
const HOLDER = `
import fcntl, os, signal, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x0001 | 0x1000))
signal.pause()
`;

export interface TunHolder {
  /** Kills the holder (as `kill -9` of tincd) and waits until the device has lost its carrier. */
  kill(): Promise<void>;
}

/** A process holding the tun device open, as its VPN daemon would; killed when the test ends. */
export async function holdTun(tun: Tun): Promise<TunHolder> {
  const holder = start('ip', ['netns', 'exec', tun.ns, 'python3', '-c', HOLDER, tun.name], { timeoutMs: null });
  const kill = async () => {
    holder.child.kill('SIGKILL');
    await holder.exit;
  };
  defer(kill);
  const carrier = async () =>
    (await ipJson<{ flags: string[] }[]>(tun.ns, 'link', 'show', 'dev', tun.name))[0].flags.includes('LOWER_UP');
  // The kernel reacts to the carrier from a work queue, after the flag: wait until its routes show it too.
  const settled = async () => {
    const routes = await ipJson<{ dst: string; flags: string[] }[]>(tun.ns, 'route', 'show', 'dev', tun.name);
    const routes6 = await ipJson<{ dst: string; flags: string[] }[]>(tun.ns, '-6', 'route', 'show', 'dev', tun.name);
    const linkdown = [...routes, ...routes6].some((r) => r.flags.includes('linkdown'));
    return (await carrier()) && !linkdown && routes6.some((r) => r.dst === 'fe80::/64');
  };
  await waitUntil(settled, 10_000, () => `${tun.name} never got carrier: ${holder.output}`);
  return {
    kill: async () => {
      await kill();
      await waitUntil(
        async () => !(await carrier()),
        10_000,
        () => `${tun.name} kept its carrier`,
      );
    },
  };
}
