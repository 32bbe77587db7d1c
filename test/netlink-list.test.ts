// listRoutes against `ip -j route show`: tables, families, filters, IPv4 and IPv6.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, netlink } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip } from './support/ip.js';
import type { Lan } from './support/lan.js';
import { createNetns } from './support/netns.js';
import {
  type ComparableRoute,
  expectSameRoutes,
  fromRoute,
  ipRoutes,
  OUR_PROTOCOL,
  sortRoutes,
} from './support/routes.js';
import { createTunClient } from './support/tun-client.js';

let lan: Lan;
let nl: RouteSocket;

// A client with a bit of everything: gateways, metrics, another table, our protocol, reject types,
// prefsrc, a tun device, in both families.
beforeEach(async () => {
  ({ lan, nl } = await createTunClient({
    routes: [
      'route add 10.1.0.0/16 via 192.168.1.1 metric 5',
      'route add 10.1.0.0/16 via 192.168.1.1 metric 9 proto 4',
      `route add 0.0.0.0/1 dev vpn proto ${OUR_PROTOCOL}`,
      `route add 128.0.0.0/1 dev vpn proto ${OUR_PROTOCOL}`,
      'route add 198.51.100.7 via 192.168.1.1 proto 4',
      'route add unreachable 203.0.113.0/24',
      'route add blackhole 198.51.100.128/25',
      'route add prohibit 198.51.100.64/26 metric 3',
      'route add 172.16.0.0/12 dev eth0 src 192.168.1.2',
      'route add 10.2.0.0/16 via 192.168.1.1 table 100',
      'route add 10.3.0.0/16 dev eth0 table 100 metric 1',
      'route add 2001:db8:1::/48 via fd00:1::1 metric 5',
      `route add ::/1 dev vpn proto ${OUR_PROTOCOL}`,
      `route add 8000::/1 dev vpn proto ${OUR_PROTOCOL}`,
      'route add 2001:db8:2::7 via fd00:1::1 proto 4',
      'route add unreachable 2001:db8:dead::/48',
      'route add blackhole 2001:db8:beef::/48',
      'route add prohibit 2001:db8:f00d::/48',
      'route add 2001:db8:3::/48 dev eth0 src fd00:1::2',
      'route add 2001:db8:4::/48 via fd00:1::1 table 100',
    ],
  }));
});

describe('listRoutes', () => {
  for (const family of [4, 6] as const) {
    describe(`IPv${family}`, () => {
      it('lists the main table by default, as ip route show does', async () => {
        const ours = await nl.listRoutes({ family });
        expectSameRoutes(ours, await ipRoutes(lan.client, { family, table: 'main' }));
        expect(ours.length).toBeGreaterThan(8);
        expect(ours.every((r) => r.family === family && r.table === 'main')).toBe(true);
      });

      it('lists the local table', async () => {
        const ours = await nl.listRoutes({ family, table: 'local' });
        expectSameRoutes(ours, await ipRoutes(lan.client, { family, table: 'local' }));
        const own = family === 4 ? '192.168.1.2/32' : 'fd00:1::2/128';
        expect(ours).toContainEqual(
          expect.objectContaining({ dst: own, type: 'local', table: 'local', protocol: 'kernel' }),
        );
      });

      it('lists every table with table: all', async () => {
        const ours = await nl.listRoutes({ family, table: 'all' });
        expectSameRoutes(ours, await ipRoutes(lan.client, { family, table: 'all' }));
        expect(new Set(ours.map((r) => r.table))).toEqual(new Set(['main', 'local', 100]));
      });

      it('lists a table by number', async () => {
        const ours = await nl.listRoutes({ family, table: 100 });
        expectSameRoutes(ours, await ipRoutes(lan.client, { family, table: 100 }));
        expect(ours.length).toBe(family === 4 ? 2 : 1);
      });

      it('lists a table that has no routes (after its last one went) as []', async () => {
        await ip(lan.client, 'route', 'del', family === 4 ? '10.2.0.0/16' : '2001:db8:4::/48', 'table', '100');
        if (family === 4) await ip(lan.client, 'route', 'del', '10.3.0.0/16', 'table', '100');
        expect(await ipRoutes(lan.client, { family, table: 100 })).toEqual([]);
        expect(await nl.listRoutes({ family, table: 100 })).toEqual([]);
      });

      it("fails like ip (ENOENT, the kernel's words) for a table the kernel never had", async () => {
        const oracle = await ip(lan.client, `-${family}`, 'route', 'show', 'table', '4242').catch(
          (e: Error) => e.message,
        );
        expect(oracle).toMatch(/FIB table does not exist/);
        const error = await nl.listRoutes({ family, table: 4242 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NetlinkError);
        expect(error).toMatchObject({ code: 'ENOENT', errno: 2, operation: 'listRoutes' });
        expect((error as Error).message).toMatch(/FIB table does not exist/);
      });

      it('filters by protocol (name or number)', async () => {
        const all = await ipRoutes(lan.client, { family, table: 'main' });
        for (const [protocol, number] of [
          ['static', 4],
          ['kernel', 2],
          [OUR_PROTOCOL, OUR_PROTOCOL],
          ['redirect-gateway', OUR_PROTOCOL],
        ] as const) {
          const ours = await nl.listRoutes({ family, protocol });
          expectSameRoutes(
            ours,
            all.filter((r) => r.protocol === number),
          );
          expect(ours.length, `routes with protocol ${protocol}`).toBeGreaterThan(0);
        }
      });

      it('filters by device', async () => {
        const all = await ipRoutes(lan.client, { family, table: 'main' });
        for (const dev of ['eth0', 'vpn']) {
          const ours = await nl.listRoutes({ family, dev });
          expectSameRoutes(
            ours,
            all.filter((r) => r.dev === dev),
          );
          expect(ours.length).toBeGreaterThan(0);
        }
      });

      it('names our protocol redirect-gateway, and the others as ip does', async () => {
        const ours = await nl.listRoutes({ family });
        const half = family === 4 ? '0.0.0.0/1' : '::/1';
        expect(ours.find((r) => r.dst === half)).toMatchObject({
          protocol: 'redirect-gateway',
          dev: 'vpn',
          scope: family === 4 ? 'link' : 'global',
          type: 'unicast',
        });
        // ip's own names (without -N) for the well-known values agree with ours.
        const named = JSON.parse(await ip(lan.client, '-d', '-j', `-${family}`, 'route', 'show', 'table', 'all'));
        for (const entry of named as { dst: string; protocol: string; scope: string; type: string; table?: string }[]) {
          const dst =
            entry.dst === 'default'
              ? family === 4
                ? '0.0.0.0/0'
                : '::/0'
              : entry.dst.includes('/')
                ? entry.dst
                : `${entry.dst}/${family === 4 ? 32 : 128}`;
          const match = (await nl.listRoutes({ family, table: 'all' })).filter((r) => r.dst === dst);
          expect(match.length, dst).toBeGreaterThan(0);
          if (entry.protocol !== String(OUR_PROTOCOL)) expect(match.map((r) => r.protocol)).toContain(entry.protocol);
          expect(match.map((r) => r.scope)).toContain(entry.scope);
          expect(match.map((r) => r.type)).toContain(entry.type);
        }
      });
    });
  }

  it('lists both families when family is omitted', async () => {
    const ours = await nl.listRoutes();
    const oracle = [...(await ipRoutes(lan.client, { family: 4 })), ...(await ipRoutes(lan.client, { family: 6 }))];
    expectSameRoutes(ours, oracle);
    expect(new Set(ours.map((r) => r.family))).toEqual(new Set([4, 6]));
  });

  it('combines table, family, protocol and device filters', async () => {
    const all: ComparableRoute[] = await ipRoutes(lan.client, { family: 4, table: 'all' });
    const ours = await nl.listRoutes({ family: 4, table: 'all', protocol: 'boot', dev: 'eth0' });
    expectSameRoutes(
      ours,
      all.filter((r) => r.protocol === 3 && r.dev === 'eth0'),
    );
    expect(new Set(ours.map((r) => r.table))).toEqual(new Set(['main', 100]));
  });

  it('returns plain objects with the documented fields and canonical text', async () => {
    const ours = await nl.listRoutes({ table: 'all' });
    for (const r of ours) {
      expect(Object.getPrototypeOf(r) === Object.prototype || Object.getPrototypeOf(r) === null).toBe(true);
      expect(r.dst).toMatch(/\/\d+$/);
      expect(JSON.parse(JSON.stringify(fromRoute(r)))).toEqual(fromRoute(r));
    }
    expect(ours.find((r) => r.dst === '0.0.0.0/0')).toMatchObject({
      gateway: '192.168.1.1',
      dev: 'eth0',
      table: 'main',
    });
    expect(ours.find((r) => r.dst === '::/0')).toMatchObject({ gateway: 'fd00:1::1', dev: 'eth0', metric: 1024 });
    expect(ours.find((r) => r.dst === '198.51.100.7/32')).toBeDefined();
    expect(ours.find((r) => r.dst === '2001:db8:2::7/128')).toBeDefined();
  });

  it('rejects bad options before asking the kernel', async () => {
    await expect(nl.listRoutes({ family: 5 as 4 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.listRoutes({ table: 'nosuchtable' as 'main' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.listRoutes({ protocol: 'nosuchproto' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.listRoutes({ dev: 'a-name-too-long0' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('sees a route as soon as ip adds it, and not after ip deletes it', async () => {
    const ns = await createNetns('live');
    const live = await netlink.open({ netns: ns });
    try {
      expect(await live.listRoutes()).toEqual([]);
      await ip(ns, 'route', 'add', '10.9.0.0/16', 'dev', 'lo');
      expect(sortRoutes((await live.listRoutes()).map(fromRoute))).toEqual(await ipRoutes(ns, { family: 4 }));
      await ip(ns, 'route', 'del', '10.9.0.0/16');
      expect(await live.listRoutes({ family: 4 })).toEqual([]);
    } finally {
      live.close();
    }
  });
});
