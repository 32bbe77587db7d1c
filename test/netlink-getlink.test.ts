// getLink against `ip -j link show NAME`.
import { describe, expect, it } from 'vitest';
import { InvalidInputError, netlink } from '../src/index.js';
import { ip, ipJson } from './support/ip.js';
import { createLan } from './support/lan.js';
import { ipLinks } from './support/links.js';
import { createTun } from './support/tun.js';

// ---------------------------------------------------------------------------------------------------------
describe('getLink', () => {
  it('matches ip -j link show NAME, and is undefined for a missing name', async () => {
    const lan = await createLan();
    const ns = lan.client;
    await createTun(ns, { name: 'vpn', address: '10.8.0.2/24', mtu: 1400 }); // up, no carrier
    await createTun(ns, { name: 'tun-down', up: false });
    const nl = await netlink.open({ netns: ns });
    try {
      for (const name of ['lo', 'eth0', 'vpn', 'tun-down']) {
        const [entry] = await ipJson<{ ifname: string }[]>(ns, 'link', 'show', name);
        expect(entry.ifname).toBe(name);
        const oracle = (await ipLinks(ns)).find((l) => l.name === name);
        expect(await nl.getLink(name), name).toEqual(oracle);
      }
      expect(await nl.getLink('eth0')).toMatchObject({ up: true, lowerUp: true, operstate: 'up', mtu: 1500 });
      expect(await nl.getLink('vpn')).toMatchObject({ up: true, lowerUp: false, mtu: 1400 });
      expect(await nl.getLink('tun-down')).toMatchObject({ up: false });
      expect(await nl.getLink('nosuchdev0')).toBeUndefined();
      expect(await nl.getLink('eth1')).toBeUndefined();
      // It follows changes.
      await ip(ns, 'link', 'set', 'vpn', 'mtu', '1280');
      await ip(ns, 'link', 'set', 'tun-down', 'name', 'renamed');
      expect(await nl.getLink('vpn')).toMatchObject({ mtu: 1280 });
      expect(await nl.getLink('tun-down')).toBeUndefined();
      expect(await nl.getLink('renamed')).toEqual((await ipLinks(ns)).find((l) => l.name === 'renamed'));
      // The router's namespace has its own eth0, with another index space.
      const other = await netlink.open({ netns: lan.router });
      try {
        expect(await other.getLink('eth0')).toEqual((await ipLinks(lan.router)).find((l) => l.name === 'eth0'));
        expect(await other.getLink('vpn')).toBeUndefined();
      } finally {
        other.close();
      }
      await expect(nl.getLink('a-name-too-long0')).rejects.toBeInstanceOf(InvalidInputError);
      await expect(nl.getLink('')).rejects.toBeInstanceOf(InvalidInputError);
      await expect(nl.getLink('a/b')).rejects.toBeInstanceOf(InvalidInputError);
    } finally {
      nl.close();
    }
  });
});
