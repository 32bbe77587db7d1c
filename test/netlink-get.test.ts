// getRoute against `ip -j route get` (and `ip route get fibmatch`, `... oif DEV`), IPv4 and IPv6.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { errnoOfIpMessage } from './support/errors.js';
import { ip } from './support/ip.js';
import type { Lan } from './support/lan.js';
import { compareAs, expectSameAsRouteGet, ipRouteGet, OUR_PROTOCOL } from './support/routes.js';
import { createTunClient } from './support/tun-client.js';

let lan: Lan;
let nl: RouteSocket;

beforeEach(async () => {
  ({ lan, nl } = await createTunClient({
    routes: [
      'route add 10.1.0.0/16 via 192.168.1.1 metric 5 proto 4',
      'route add 10.1.0.0/16 via 192.168.1.1 metric 9',
      `route add 198.51.100.0/24 dev vpn proto ${OUR_PROTOCOL}`,
      'route add unreachable 203.0.113.0/24',
      'route add blackhole 198.51.100.128/25',
      'route add prohibit 198.51.100.64/26',
      'route add 2001:db8:1::/48 via fd00:1::1 metric 5 proto 4',
      `route add 2001:db8:2::/48 dev vpn proto ${OUR_PROTOCOL}`,
      'route add unreachable 2001:db8:dead::/48',
      'route add blackhole 2001:db8:beef::/48',
      'route add prohibit 2001:db8:f00d::/48',
    ],
  }));
});

// What to look up, and why each is interesting.
const cases = {
  4: {
    'through the default route': '203.0.114.9',
    'through a more specific route with a metric': '10.1.2.3',
    'through a tun device (our protocol)': '198.51.100.9',
    'on the connected LAN': '192.168.1.77',
    'the gateway itself': '192.168.1.1',
    'our own address (local table)': '192.168.1.2',
    'the tun address': '10.8.0.2',
    loopback: '127.0.0.1',
  },
  6: {
    'through the default route': '2001:db8:ffff::9',
    'through a more specific route with a metric': '2001:db8:1::3',
    'through a tun device (our protocol)': '2001:db8:2::9',
    'on the connected LAN': 'fd00:1::77',
    'the gateway itself': 'fd00:1::1',
    'our own address (local table)': 'fd00:1::2',
    loopback: '::1',
  },
} as const;

describe('getRoute', () => {
  for (const family of [4, 6] as const) {
    describe(`IPv${family}`, () => {
      for (const [what, address] of Object.entries(cases[family])) {
        it(`resolves ${what} (${address}) as ip route get does`, async () => {
          const ours = await nl.getRoute(address);
          await expectSameAsRouteGet(ours, lan.client, address);
          expect(ours.family).toBe(family);
        });

        it(`finds the table entry for ${what} (${address}) as ip route get fibmatch does`, async () => {
          const ours = await nl.getRoute(address, { fibMatch: true });
          await expectSameAsRouteGet(ours, lan.client, address, { fibMatch: true });
        });
      }

      it('reports the matched prefix, metric and protocol with fibMatch', async () => {
        const specific = family === 4 ? '10.1.2.3' : '2001:db8:1::3';
        expect(await nl.getRoute(specific, { fibMatch: true })).toMatchObject({
          dst: family === 4 ? '10.1.0.0/16' : '2001:db8:1::/48',
          metric: 5,
          protocol: 'static',
          gateway: family === 4 ? '192.168.1.1' : 'fd00:1::1',
          dev: 'eth0',
        });
        const viaDefault = family === 4 ? '203.0.114.9' : '2001:db8:ffff::9';
        expect(await nl.getRoute(viaDefault, { fibMatch: true })).toMatchObject({
          dst: family === 4 ? '0.0.0.0/0' : '::/0',
        });
        const tunnelled = family === 4 ? '198.51.100.9' : '2001:db8:2::9';
        expect(await nl.getRoute(tunnelled, { fibMatch: true })).toMatchObject({
          protocol: 'redirect-gateway',
          dev: 'vpn',
        });
        // Without fibMatch the answer is the path for the one address, with the source to use.
        const path = await nl.getRoute(viaDefault);
        expect(path).toMatchObject({
          dst: family === 4 ? '203.0.114.9/32' : '2001:db8:ffff::9/128',
          gateway: family === 4 ? '192.168.1.1' : 'fd00:1::1',
          prefsrc: family === 4 ? '192.168.1.2' : 'fd00:1::2',
        });
      });

      it('names the devices of a multipath route found with fibMatch, as ip -j route get fibmatch does', async () => {
        // A lookup's links are named after its routes are decoded: the next hops' devices must follow. (IPv6 takes
        // no device-only next hop.)
        const [dst, address, hops] =
          family === 4
            ? ['10.77.0.0/16', '10.77.1.1', 'nexthop via 192.168.1.1 dev eth0 nexthop dev vpn weight 2']
            : [
                '2001:db8:77::/48',
                '2001:db8:77::1',
                'nexthop via fd00:1::1 dev eth0 nexthop via fd00:1::3 dev eth0 weight 2',
              ];
        await ip(lan.client, `-${family}`, 'route', 'add', dst, ...hops.split(' '));
        const ours = await nl.getRoute(address, { fibMatch: true });
        const [oracle] = JSON.parse(await ip(lan.client, '-j', 'route', 'get', 'fibmatch', address)) as Route[];
        expect(ours.nexthops).toHaveLength(2);
        expect(ours.nexthops).toEqual(oracle.nexthops);
      });

      it('looks up as if leaving through an interface with oif, as ip route get ... oif does', async () => {
        const addresses =
          family === 4
            ? ['203.0.114.9', '198.51.100.9', '192.168.1.77']
            : ['2001:db8:ffff::9', '2001:db8:2::9', 'fd00:1::77'];
        let succeeded = 0;
        let failed = 0;
        for (const address of addresses) {
          for (const oif of ['eth0', 'vpn']) {
            const oracle = await ipRouteGet(lan.client, address, { oif }).catch((e: Error) => e);
            const ours = await nl.getRoute(address, { oif }).catch((e: unknown) => e as Error);
            if (oracle instanceof Error) {
              failed++;
              expect(ours, `${address} oif ${oif}: ip said ${oracle.message}`).toBeInstanceOf(NetlinkError);
              expect((ours as NetlinkError).errno).toBe(errnoOfIpMessage(oracle.message));
            } else {
              succeeded++;
              expect(ours, `${address} oif ${oif}`).not.toBeInstanceOf(Error);
              expect(compareAs(ours as Route, oracle), `${address} oif ${oif}`).toEqual(oracle);
              expect((ours as Route).dev).toBe(oif);
            }
          }
        }
        expect(succeeded).toBeGreaterThanOrEqual(4);
        if (family === 6) expect(failed).toBeGreaterThan(0); // IPv6 wants a route through that device
      });

      it('fails as ip route get does for unreachable, blackhole and prohibit routes', async () => {
        const targets =
          family === 4
            ? ['203.0.113.1', '198.51.100.129', '198.51.100.65']
            : ['2001:db8:dead::1', '2001:db8:beef::1', '2001:db8:f00d::1'];
        for (const address of targets) {
          const oracle = await ip(lan.client, 'route', 'get', address).then(
            (out) => `succeeded: ${out}`,
            (e: Error) => e.message,
          );
          const error = await nl.getRoute(address).catch((e: unknown) => e);
          if (oracle.startsWith('succeeded')) {
            // IPv6 reports some reject routes as a route (through lo) rather than an error.
            expect(error, address).not.toBeInstanceOf(Error);
            await expectSameAsRouteGet(error as never, lan.client, address);
            continue;
          }
          expect(error, `${address}: ip said ${oracle}`).toBeInstanceOf(NetlinkError);
          expect((error as NetlinkError).errno, `${address}: ip said ${oracle}`).toBe(errnoOfIpMessage(oracle));
          expect((error as NetlinkError).operation).toBe('getRoute');
          expect((error as NetlinkError).message).toContain(address);
        }
      });

      it('fails with ENETUNREACH where there is no route at all', async () => {
        const address = family === 4 ? '203.0.114.9' : '2001:db8:ffff::9';
        await ip(lan.client, `-${family}`, 'route', 'del', 'default');
        await expect(ip(lan.client, 'route', 'get', address)).rejects.toThrow(/Network is unreachable/);
        const error = await nl.getRoute(address).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NetlinkError);
        expect(error).toMatchObject({ code: 'ENETUNREACH', errno: 101, operation: 'getRoute' });
        expect((error as Error).message).toMatch(new RegExp(`${address}.*unreachable`, 'i'));
      });

      it('names a missing oif device in the error', async () => {
        const address = family === 4 ? '203.0.114.9' : '2001:db8:ffff::9';
        const error = await nl.getRoute(address, { oif: 'nosuch0' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NetlinkError);
        expect(error).toMatchObject({ code: 'ENODEV' });
        expect((error as Error).message).toContain('nosuch0');
      });
    });
  }

  it('asks as a packet of a protocol and port (ipProto, dport), as rules that match them see it', async () => {
    await ip(lan.client, 'rule', 'add', 'priority', '100', 'ipproto', 'udp', 'dport', '655', 'lookup', '200');
    await ip(lan.client, 'route', 'add', 'default', 'dev', 'vpn', 'table', '200');
    for (const family of [4, 6] as const) {
      const address = family === 4 ? '203.0.114.9' : '2001:db8:ffff::9';
      if (family === 6) {
        await ip(lan.client, '-6', 'rule', 'add', 'priority', '100', 'ipproto', 'udp', 'dport', '655', 'lookup', '200');
        await ip(lan.client, '-6', 'route', 'add', 'default', 'dev', 'vpn', 'table', '200');
      }
      expect((await nl.getRoute(address)).dev).toBe('eth0');
      expect((await nl.getRoute(address, { ipProto: 'udp', dport: 655 })).dev).toBe('vpn');
      expect((await nl.getRoute(address, { ipProto: 'tcp', dport: 655 })).dev).toBe('eth0');
      expect((await nl.getRoute(address, { ipProto: 'udp', dport: 656 })).dev).toBe('eth0');
      expect(await ip(lan.client, 'route', 'get', address, 'ipproto', 'udp', 'dport', '655')).toContain(' dev vpn ');
    }
    await expect(nl.getRoute('10.0.0.1', { ipProto: 'icmp' as 'udp' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.getRoute('10.0.0.1', { ipProto: 'udp', dport: 65536 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('rejects what is not an address, before asking the kernel', async () => {
    for (const bad of ['', 'default', '10.0.0.0/8', '10.0.0.256', '2001:db8::g', 'fe80::1%eth0', 'localhost']) {
      await expect(nl.getRoute(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(nl.getRoute('10.0.0.1', { oif: 'sixteen-bytes-xx' })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
