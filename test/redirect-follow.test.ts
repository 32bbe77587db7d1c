// redirect.follow(): the redirect kept right while the network changes, against what `ip` does in the client's
// namespace, checked with `ip route get` (the oracle). Deadlines are generous (a loaded machine); no timing is
// asserted (bench/follow.js measures it).
import { describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { defer } from './support/cleanup.js';
import { ip } from './support/ip.js';
import { waitForLink } from './support/links.js';
import { createSeed, pathTo, routeText, SERVER } from './support/seed.js';
import { waitUntil } from './support/tinc.js';

const PEER = '192.0.2.20';

/**
 * Waits until `ip route get ADDRESS` in ns says `expected` ('via GW dev DEV'). Meanwhile the server may be refused:
 * with its exception route gone our refusal rule answers, until the follower puts it back.
 */
async function pathBecomes(ns: string, address: string, expected: string, what: string): Promise<void> {
  let last = '';
  await waitUntil(
    async () => (last = await pathTo(ns, address).catch(() => 'refused')) === expected,
    15_000,
    () => `${what}: the path to ${address} is ${last}, expected ${expected}\n`,
  );
}

/** Our routes as `ip route show proto 157` prints them, without the tun device's `linkdown` (it has no carrier). */
async function ours(ns: string): Promise<string> {
  return (await ip(ns, 'route', 'show', 'proto', '157')).replaceAll('linkdown ', '');
}

async function following(ns: string, log: string[] = []) {
  const follower = await redirect.follow('vpn', SERVER, { netns: ns, log: (line) => log.push(line) });
  defer(() => follower.close());
  return follower;
}

describe('redirect.follow', () => {
  it('makes the redirect as up does, and moves the exception when the default gateway changes', async () => {
    const seed = await createSeed();
    const log: string[] = [];
    await following(seed.ns, log);
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.3', 'dev', 'eth0');
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.3 dev eth0', 'after the new default');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    expect(log).toContain('vpn: replace 198.51.100.10/32 via 192.168.1.3 dev eth0');
  });

  it('with a kill switch, SERVER-down holds while it follows: no halves, the exception still moves; up brings them back', async () => {
    const seed = await createSeed();
    const follower = await redirect.follow('vpn', SERVER, { netns: seed.ns, killSwitch: true });
    defer(() => follower.close());
    await redirect.suspend('vpn', { netns: seed.ns });
    // A roam while tinc reconnects: the exception follows, and traffic stays refused rather than sent to the tun.
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.3', 'dev', 'eth0');
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.3 dev eth0', 'after the new default');
    expect(await ours(seed.ns)).toBe(
      'unreachable 0.0.0.0/1 metric 65535 \nunreachable 128.0.0.0/1 metric 65535 \n198.51.100.10 via 192.168.1.3 dev eth0 \n',
    );
    await redirect.up('vpn', SERVER, { netns: seed.ns, killSwitch: true });
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.1 dev eth0', 'after the default is back');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
  });

  it('puts back an exception route someone deleted', async () => {
    const seed = await createSeed();
    await following(seed.ns);
    await ip(seed.ns, 'route', 'del', `${SERVER}/32`);
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.1 dev eth0', 'after the deletion');
  });

  it('after an uplink flap (its IPv4 routes flushed, then the default put back), the exception is back', async () => {
    const seed = await createSeed();
    await following(seed.ns);
    await ip(seed.ns, 'link', 'set', 'dev', 'eth0', 'down');
    // No path outside the VPN: nothing is made through the VPN for the server, the half-routes stay.
    await waitUntil(
      async () => !(await ip(seed.ns, 'route', 'show')).includes(SERVER),
      15_000,
      () => 'the kernel did not flush the exception',
    );
    expect(await ours(seed.ns)).toBe('0.0.0.0/1 dev vpn scope link \n128.0.0.0/1 dev vpn scope link \n');
    await ip(seed.ns, 'link', 'set', 'dev', 'eth0', 'up');
    await waitForLink(seed.ns, 'eth0');
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.1 dev eth0', 'after the uplink came back');
    expect(await ours(seed.ns)).toBe(
      `0.0.0.0/1 dev vpn scope link \n128.0.0.0/1 dev vpn scope link \n${SERVER} via 192.168.1.1 dev eth0 \n`,
    );
  });

  it('the VPN interface down (the kernel takes the half-routes) and up again: the redirect is made again', async () => {
    const seed = await createSeed();
    await following(seed.ns);
    await ip(seed.ns, 'link', 'set', 'dev', 'vpn', 'down');
    await pathBecomes(seed.ns, '203.0.113.7', 'via 192.168.1.1 dev eth0', 'with the VPN down');
    await ip(seed.ns, 'link', 'set', 'dev', 'vpn', 'up');
    await pathBecomes(seed.ns, '203.0.113.7', 'dev vpn', 'with the VPN up again');
  });

  it("re-plans a mesh peer's exception too", async () => {
    const seed = await createSeed();
    await following(seed.ns);
    await redirect.addPeer('vpn', 'peer', PEER, { netns: seed.ns });
    await pathBecomes(seed.ns, PEER, 'via 192.168.1.1 dev eth0', 'the peer');
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.4', 'dev', 'eth0');
    await pathBecomes(seed.ns, PEER, 'via 192.168.1.4 dev eth0', "the peer's after the new default");
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.4 dev eth0', "the server's after the new default");
  });

  it('ignores unrelated routes, stops after close(), and leaves nothing down cannot remove', async () => {
    const seed = await createSeed();
    const before = await routeText(seed.ns);
    const log: string[] = [];
    const follower = await following(seed.ns, log);
    const made = log.length;
    await ip(seed.ns, 'route', 'add', '10.99.0.0/16', 'via', '192.168.1.1');
    await ip(seed.ns, 'route', 'add', '10.98.0.0/16', 'via', '192.168.1.1');
    await follower.close();
    await ip(seed.ns, 'route', 'del', `${SERVER}/32`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nobody put it back: our rule refuses the server (it looped into the tunnel before).
    await expect(pathTo(seed.ns, SERVER)).rejects.toThrow(/Network is unreachable/);
    expect(log.length).toBe(made);
    await redirect.down('vpn', { netns: seed.ns });
    await ip(seed.ns, 'route', 'del', '10.99.0.0/16');
    await ip(seed.ns, 'route', 'del', '10.98.0.0/16');
    expect(await routeText(seed.ns)).toBe(before);
  });

  // Started while there is no path to the server outside the VPN (a network manager reconfiguring the uplink, a
  // roam in progress), it must wait for one, as it does later, not end: the hook that started it has gone.
  it('started with no path to the server, it waits for one and then makes the redirect', async () => {
    const seed = await createSeed();
    await ip(seed.ns, 'route', 'del', 'default', 'via', '192.168.1.1');
    const log: string[] = [];
    await following(seed.ns, log);
    expect(log.join('\n')).toMatch(/nothing changed: .*198\.51\.100\.10/);
    await ip(seed.ns, 'route', 'add', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
    await pathBecomes(seed.ns, SERVER, 'via 192.168.1.1 dev eth0', 'the path back');
    await waitUntil(
      async () => (await ours(seed.ns)).includes('0.0.0.0/1 dev vpn'),
      15_000,
      () => 'no half-routes',
    );
  });
});
