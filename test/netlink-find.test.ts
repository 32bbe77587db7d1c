// findRoutes (exact lookups, no dump) against iproute2's view of the same table.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip, ipBatch } from './support/ip.js';
import type { Lan } from './support/lan.js';
import { type ComparableRoute, fromRoute, ipRoutes, OUR_PROTOCOL } from './support/routes.js';
import { createTunClient } from './support/tun-client.js';

// ---------------------------------------------------------------------------------------------------------
describe('findRoutes', () => {
  let lan: Lan;
  let nl: RouteSocket;
  let oracle: ComparableRoute[];

  beforeEach(async () => {
    ({ lan, nl } = await createTunClient({
      routes: [
        'route add 10.1.0.0/16 via 192.168.1.1 metric 5 proto 4',
        `route add 10.5.0.0/16 dev vpn proto ${OUR_PROTOCOL}`,
        'route add 198.51.100.7 via 192.168.1.1 proto 4',
        'route add 198.51.100.0/24 dev eth0 metric 20',
        'route add blackhole 203.0.113.0/24',
        'route add 2001:db8:1::/48 via fd00:1::1 metric 5 proto 4',
        `route add 2001:db8:5::/48 dev vpn proto ${OUR_PROTOCOL}`,
        'route add 2001:db8:2::7 via fd00:1::1 proto 4',
        'route add unreachable 2001:db8:dead::/48',
      ],
    }));
    oracle = await ipRoutes(lan.client, { table: 'all' });
  });

  /** The one oracle route with this dst (and dev), in the main table. */
  function inIp(dst: string, dev?: string): ComparableRoute {
    const found = oracle.filter((r) => r.dst === dst && r.table === 254 && (dev === undefined || r.dev === dev));
    expect(found.length, `ip's routes to ${dst}`).toBe(1);
    return found[0];
  }

  it('finds present routes, IPv4 and IPv6, as ip shows them, in the order asked', async () => {
    const dsts = [
      ['10.1.0.0/16'],
      ['10.5.0.0/16'],
      ['198.51.100.7/32'],
      ['198.51.100.0/24'],
      ['0.0.0.0/0'],
      ['192.168.1.0/24'],
      ['2001:db8:1::/48'],
      ['2001:db8:5::/48'],
      ['2001:db8:2::7/128'],
      ['::/0'],
      ['fd00:1::/64', 'eth0'],
      ['fd00:8::/64', 'vpn'],
    ];
    const found = await nl.findRoutes(dsts.map(([dst]) => ({ dst })));
    expect(found.length).toBe(dsts.length);
    found.forEach((route, i) => {
      const [dst, dev] = dsts[i];
      expect(route, dst).toBeDefined();
      expect(fromRoute(route!), dst).toEqual(inIp(dst, dev));
    });
  });

  it('takes bare addresses as host routes', async () => {
    const [v4, v6] = await nl.findRoutes([{ dst: '198.51.100.7' }, { dst: '2001:db8:2::7' }]);
    expect(fromRoute(v4!)).toEqual(inIp('198.51.100.7/32'));
    expect(fromRoute(v6!)).toEqual(inIp('2001:db8:2::7/128'));
  });

  it('filters by dev and protocol', async () => {
    const queries = [
      { dst: '10.1.0.0/16', dev: 'eth0', protocol: 'static' }, // 0: present
      { dst: '10.1.0.0/16', protocol: 4 }, // 1: present
      { dst: '10.5.0.0/16', dev: 'vpn', protocol: 'redirect-gateway' }, // 2: present
      { dst: '10.5.0.0/16', protocol: OUR_PROTOCOL }, // 3: present
      { dst: '2001:db8:1::/48', dev: 'eth0', protocol: 'static' }, // 4: present
      { dst: '2001:db8:5::/48', dev: 'vpn', protocol: OUR_PROTOCOL }, // 5: present
      { dst: '10.1.0.0/16', protocol: 'kernel' }, // 6: wrong protocol
      { dst: '10.5.0.0/16', protocol: 'static' }, // 7: wrong protocol
      { dst: '2001:db8:1::/48', protocol: OUR_PROTOCOL }, // 8: wrong protocol
      { dst: '2001:db8:5::/48', protocol: 'boot' }, // 9: wrong protocol
      { dst: '10.5.0.0/16', dev: 'eth0' }, // 10: wrong device (the default route through eth0 answers)
      { dst: '2001:db8:5::/48', dev: 'eth0' }, // 11: wrong device
      { dst: '10.1.0.0/16', dev: 'nosuchdev0' }, // 12: no such device
      { dst: '2001:db8:1::/48', dev: 'nosuchdev0' }, // 13: no such device
      { dst: '10.1.0.0/16', metric: 5 }, // 14: present
      { dst: '10.1.0.0/16', metric: 6 }, // 15: wrong metric
      { dst: '10.1.0.0/16', table: 'main' as const }, // 16: present
      { dst: '10.1.0.0/16', table: 100 }, // 17: not in that table
    ];
    const found = await nl.findRoutes(queries);
    const present = [0, 1, 2, 3, 4, 5, 14, 16];
    found.forEach((route, i) => {
      const q = queries[i];
      if (present.includes(i)) {
        expect(route, `query ${i}`).toBeDefined();
        expect(fromRoute(route!), `query ${i}`).toEqual(inIp(q.dst));
      } else {
        expect(route, `query ${i}: ${JSON.stringify(q)}`).toBeUndefined();
      }
    });
  });

  it('returns undefined for absent routes (the lookup lands on a less or more specific one)', async () => {
    const found = await nl.findRoutes([
      { dst: '10.99.0.0/16' }, // only the default route covers it
      { dst: '10.1.0.0/24' }, // more specific than the route present
      { dst: '10.0.0.0/8' }, // less specific
      { dst: '198.51.100.8/32' }, // covered by 198.51.100.0/24
      { dst: '2001:db8:99::/48' },
      { dst: '2001:db8:1::/64' },
      { dst: '2001:db8:2::8' },
    ]);
    expect(found).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('finds nothing in a namespace without routes (no default route to answer)', async () => {
    await ip(lan.client, 'route', 'del', 'default');
    await ip(lan.client, '-6', 'route', 'del', 'default');
    const found = await nl.findRoutes([{ dst: '10.99.0.0/16' }, { dst: '2001:db8:99::/48' }, { dst: '10.1.0.0/16' }]);
    expect(found[0]).toBeUndefined();
    expect(found[1]).toBeUndefined();
    expect(fromRoute(found[2]!)).toEqual(inIp('10.1.0.0/16'));
  });

  it('sees a route deleted by ip as gone, and one added as there', async () => {
    await ip(lan.client, 'route', 'del', '10.1.0.0/16');
    await ip(lan.client, 'route', 'add', '10.77.0.0/16', 'via', '192.168.1.1', 'proto', '4');
    const [gone, added] = await nl.findRoutes([{ dst: '10.1.0.0/16' }, { dst: '10.77.0.0/16', protocol: 'static' }]);
    expect(gone).toBeUndefined();
    expect(added).toMatchObject({
      dst: '10.77.0.0/16',
      gateway: '192.168.1.1',
      dev: 'eth0',
      protocol: 'static',
      table: 'main',
    });
  });

  it('answers many queries at once, repeated queries alike', async () => {
    const queries = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0
        ? { dst: '10.1.0.0/16' }
        : i % 3 === 1
          ? { dst: '2001:db8:5::/48', dev: 'vpn' }
          : { dst: `10.${200 + (i >> 8)}.${i & 255}.0/24` },
    );
    const found = await nl.findRoutes(queries);
    expect(found.length).toBe(300);
    found.forEach((route, i) => {
      if (i % 3 === 2) expect(route, `query ${i}`).toBeUndefined();
      else expect(route?.dst, `query ${i}`).toBe(queries[i].dst);
    });
    expect(await nl.findRoutes([])).toEqual([]);
  });

  // The kernel's fibmatch lookup ends in an error on reject routes (blackhole EINVAL, prohibit EACCES,
  // unreachable EHOSTUNREACH, as `ip route get fibmatch` does): findRoutes finds no reject route, and a query
  // that such a route covers is simply not found, without failing the others.
  it('finds no reject routes, and queries they cover do not fail the call', async () => {
    await ipBatch(lan.client, ['route add prohibit 198.18.0.0/24', 'route add blackhole 2001:db8:beef::/48']);
    const found = await nl.findRoutes([
      { dst: '203.0.113.0/24' },
      { dst: '198.18.0.0/24' },
      { dst: '2001:db8:beef::/48' },
      { dst: '198.18.0.5/32' },
      { dst: '2001:db8:beef::5/128' },
      { dst: '10.1.0.0/16' },
    ]);
    expect(found.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(found[5]?.dst).toBe('10.1.0.0/16');
  });

  it('rejects invalid input with InvalidInputError', async () => {
    await expect(nl.findRoutes('10.1.0.0/16' as unknown as [])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([null as unknown as { dst: string }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: 'not-an-address' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/33' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', dev: 'a-name-too-long0' }])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', protocol: 'nosuchproto' }])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', metric: -1 }])).rejects.toBeInstanceOf(InvalidInputError);
  });
});
