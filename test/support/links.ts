// iproute2's view of a namespace's links, in the shape of our Link objects.
import type { Link } from '../../src/index.js';
import { ipJson, type Netns } from './ip.js';

interface IpLinkEntry {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
}

/** `ip -j link show` as Link objects: { index, name, up, lowerUp, operstate, mtu }. */
export async function ipLinks(ns: Netns): Promise<Link[]> {
  const entries = await ipJson<IpLinkEntry[]>(ns, 'link', 'show');
  return entries.map((e) => ({
    index: e.ifindex,
    name: e.ifname,
    up: e.flags.includes('UP'),
    lowerUp: e.flags.includes('LOWER_UP'),
    operstate: e.operstate.toLowerCase(),
    mtu: e.mtu,
  }));
}

/** The index of a link in a namespace, by name. */
export async function linkIndex(ns: Netns, name: string): Promise<number> {
  const [entry] = await ipJson<IpLinkEntry[]>(ns, 'link', 'show', 'dev', name);
  return entry.ifindex;
}

/**
 * Waits until a link has settled: carrier up (LOWER_UP) and, unless `ipv6: false`, its IPv6 link-local
 * address assigned, no address tentative, and the link-local address's local route in place. The kernel
 * does these after `ip link set DEV up` on its own schedule (carrier events may wait up to a second); a
 * test comparing routing tables before and after must not race them. Devices without carrier (a tun with
 * no daemon) never settle: do not wait for those.
 */
export async function waitForLink(
  ns: Netns,
  dev: string,
  options: { ipv6?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last = '';
  for (;;) {
    last = await linkState(ns, dev, options.ipv6 ?? true);
    if (last === 'settled') return;
    if (Date.now() > deadline)
      throw new Error(`link ${dev} in ${ns ?? 'the runner namespace'} did not settle: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function linkState(ns: Netns, dev: string, ipv6: boolean): Promise<string> {
  const [link] = await ipJson<IpLinkEntry[]>(ns, 'link', 'show', 'dev', dev);
  if (!link.flags.includes('LOWER_UP')) return 'no carrier';
  if (!ipv6) return 'settled';
  const [addrs] = await ipJson<
    { addr_info: { family: string; local: string; scope: string; tentative?: boolean; dadfailed?: boolean }[] }[]
  >(ns, '-6', 'address', 'show', 'dev', dev);
  const infos = addrs?.addr_info ?? [];
  if (infos.some((a) => a.tentative)) return 'tentative address';
  const linkLocal = infos.find((a) => a.scope === 'link');
  if (!linkLocal) return 'no link-local address';
  const local = await ipJson<{ dst: string }[]>(
    ns,
    '-6',
    'route',
    'show',
    'table',
    'local',
    linkLocal.local,
    'dev',
    dev,
  );
  return local.length > 0 ? 'settled' : 'no local route for the link-local address';
}
