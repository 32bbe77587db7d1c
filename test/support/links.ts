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
