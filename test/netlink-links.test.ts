// listLinks against `ip -j link show`.
import { describe, expect, it } from 'vitest';
import { netlink } from '../src/index.js';
import { ip } from './support/ip.js';
import { createLan } from './support/lan.js';
import { ipLinks, waitForLink } from './support/links.js';
import { createNetns } from './support/netns.js';
import { createTun } from './support/tun.js';

const byIndex = <T extends { index: number }>(links: T[]) => [...links].sort((a, b) => a.index - b.index);

describe('listLinks', () => {
  it('lists every link with index, name, up, carrier, operstate and mtu, as ip link does', async () => {
    const lan = await createLan();
    const ns = lan.client;
    await createTun(ns, { name: 'vpn', address: '10.8.0.2/24' }); // up, no carrier
    await createTun(ns, { name: 'tun-down', up: false, mtu: 1400 }); // down
    // A veth pair whose other end is down: up, but no carrier (lowerlayerdown).
    await ip(ns, 'link', 'add', 'name', 'half0', 'type', 'veth', 'peer', 'name', 'half1');
    await ip(ns, 'link', 'set', 'half0', 'up', 'mtu', '9000');
    await waitForLink(ns, 'eth0');

    const nl = await netlink.open({ netns: ns });
    try {
      const ours = await nl.listLinks();
      const oracle = await ipLinks(ns);
      expect(byIndex(ours)).toEqual(byIndex(oracle));
      expect(ours.map((l) => l.name).sort()).toEqual(['eth0', 'half0', 'half1', 'lo', 'tun-down', 'vpn']);
      const by = Object.fromEntries(ours.map((l) => [l.name, l]));
      expect(by.eth0).toMatchObject({ up: true, lowerUp: true, operstate: 'up', mtu: 1500 });
      expect(by.vpn).toMatchObject({ up: true, lowerUp: false, operstate: 'down' });
      expect(by['tun-down']).toMatchObject({ up: false, mtu: 1400 });
      expect(by.half0).toMatchObject({ up: true, lowerUp: false, operstate: 'lowerlayerdown', mtu: 9000 });
      expect(by.half1).toMatchObject({ up: false, operstate: 'down' });
      expect(by.lo).toMatchObject({ index: 1, up: true, operstate: 'unknown', mtu: 65536 });
    } finally {
      nl.close();
    }
  });

  it('follows renames, state changes and deletions', async () => {
    const ns = await createNetns('links');
    await createTun(ns, { name: 'tun0' });
    const nl = await netlink.open({ netns: ns });
    try {
      const [tun0] = (await nl.listLinks()).filter((l) => l.name === 'tun0');
      await ip(ns, 'link', 'set', 'tun0', 'down');
      await ip(ns, 'link', 'set', 'tun0', 'name', 'renamed0');
      const renamed = (await nl.listLinks()).find((l) => l.index === tun0.index);
      expect(renamed).toMatchObject({ name: 'renamed0', up: false });
      expect(byIndex(await nl.listLinks())).toEqual(byIndex(await ipLinks(ns)));
      await ip(ns, 'link', 'delete', 'renamed0');
      expect((await nl.listLinks()).map((l) => l.name)).toEqual(['lo']);
    } finally {
      nl.close();
    }
  });

  it("lists the runner's own namespace (only lo) with a socket opened without netns", async () => {
    const nl = await netlink.open();
    try {
      expect(await nl.listLinks()).toEqual(await ipLinks(null));
      expect((await nl.listLinks()).map((l) => l.name)).toEqual(['lo']);
    } finally {
      nl.close();
    }
  });

  it('names route devices from the same namespace, even where another namespace has other indexes', async () => {
    // Two namespaces whose eth0 has different indexes: names must come from the socket's namespace.
    const a = await createNetns('idx-a');
    const b = await createNetns('idx-b');
    await createTun(b, { name: 'pad0' });
    await createTun(b, { name: 'pad1' });
    for (const ns of [a, b]) {
      await createTun(ns, { name: 'vpn', address: '10.8.0.2/24' });
      await ip(ns, 'route', 'add', '198.51.100.0/24', 'dev', 'vpn');
    }
    const [la, lb] = [await netlink.open({ netns: a }), await netlink.open({ netns: b })];
    try {
      const ia = (await la.listLinks()).find((l) => l.name === 'vpn')!.index;
      const ib = (await lb.listLinks()).find((l) => l.name === 'vpn')!.index;
      expect(ia).not.toBe(ib);
      for (const nl of [la, lb]) {
        expect((await nl.listRoutes({ family: 4 })).find((r) => r.dst === '198.51.100.0/24')?.dev).toBe('vpn');
        await nl.addRoute({ dst: '203.0.113.0/24', dev: 'vpn' });
      }
      for (const ns of [a, b]) expect(await ip(ns, 'route', 'show', '203.0.113.0/24')).toMatch(/dev vpn/);
    } finally {
      la.close();
      lb.close();
    }
  });
});
