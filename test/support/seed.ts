// The seed's scenario (the tinc docs page): a client on LAN 192.168.1.0/24 whose default route goes via
// 192.168.1.1 on eth0, and a VPN interface `vpn` on 172.16.0.0/16, whose server is 172.16.1.1 on the VPN
// and 198.51.100.10 in real life (the seed says 192.0.32.10, which is not a documentation address).
import { defer } from './cleanup.js';
import { ip } from './ip.js';
import { createLan, type Lan, type LanOptions } from './lan.js';
import { createNetns } from './netns.js';
import { forgetState, stateKey } from './state.js';
import { createTun, type TunOptions } from './tun.js';

export const SERVER = '198.51.100.10';
export const VPN_GATEWAY = '172.16.1.1';

export interface Seed extends Lan {
  ns: string;
  vpn: string;
}

export async function createSeed(options: { lan?: LanOptions; tun?: TunOptions } = {}): Promise<Seed> {
  const lan = await createLan(options.lan);
  const tun = await createTun(lan.client, { address: '172.16.2.2/16', ...options.tun });
  return { ...lan, ns: lan.client, vpn: tun.name };
}

/**
 * The seed in a client namespace of its own (`label` in its name) for a test that looks at state: with the key
 * of its state files (state.ts), none of which is left after the test, and its tables as made (routeText).
 */
export async function createSeedWithoutState(
  label = 'client',
  tun: TunOptions = {},
): Promise<{ seed: Seed; ns: string; key: string; clean: string }> {
  const seed = await createSeed({ lan: { client: await createNetns(label) }, tun });
  const key = await stateKey(seed.ns);
  defer(() => forgetState(key));
  return { seed, ns: seed.ns, key, clean: await routeText(seed.ns) };
}

/** Both families' main tables as `ip route show` prints them: what "byte for byte as before" compares. */
export async function routeText(ns: string): Promise<string> {
  return (await ip(ns, '-4', 'route', 'show')) + (await ip(ns, '-6', 'route', 'show'));
}

/** Which way the kernel sends a packet to address: 'via GW dev DEV', 'via inet6 GW dev DEV' or 'dev DEV'. */
export async function pathTo(ns: string, address: string, ...selector: string[]): Promise<string> {
  const out = await ip(ns, 'route', 'get', address, ...selector);
  const via = / via ((?:inet6 )?\S+)/.exec(out)?.[1];
  const dev = / dev (\S+)/.exec(out)![1];
  return via ? `via ${via} dev ${dev}` : `dev ${dev}`;
}
