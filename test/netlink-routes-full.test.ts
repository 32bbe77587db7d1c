// listRoutes shows a route as iproute2 does: multipath next hops, nexthop objects, metrics, flags, RTA_VIA,
// IPv6 preference and expiry, TOS, realms, source prefixes, field by field against `ip -N -j route show`.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Route, RouteSocket } from '../src/netlink/index.js';
import { addFullRoutes } from './support/full-routes.js';
import { ipJson } from './support/ip.js';
import { alignExpiry, asIpJson, type IpJsonRoute } from './support/ip-route-json.js';
import type { Lan } from './support/lan.js';
import { createTunClient } from './support/tun-client.js';

let lan: Lan;
let nl: RouteSocket;

beforeEach(async () => {
  ({ lan, nl } = await createTunClient());
  await addFullRoutes(lan.client);
});

async function compare(family: 4 | 6, table: 'all' | 'main' | 100): Promise<Route[]> {
  const args = ['-N', `-${family}`, 'route', 'show', 'table', String(table)];
  const before = await ipJson<IpJsonRoute[]>(lan.client, ...args);
  const routes = await nl.listRoutes({ family, table });
  const after = await ipJson<IpJsonRoute[]>(lan.client, ...args);
  const ours = routes.map((r) => asIpJson(r, table === 'all' ? undefined : table));
  alignExpiry(ours, before, after);
  expect(ours).toEqual(before);
  return routes;
}

describe('listRoutes, every field as ip -j route show', () => {
  for (const family of [4, 6] as const) {
    for (const table of ['all', 'main', 100] as const) {
      it(`IPv${family}, table ${table}`, async () => {
        const routes = await compare(family, table);
        expect(routes.length).toBeGreaterThan(0);
        expect(routes.every((r) => r.undecoded === undefined)).toBe(true);
      });
    }
  }

  it('decodes each kind of extra', async () => {
    const routes = await nl.listRoutes({ table: 'all' });
    const find = (dst: string): Route => routes.find((r) => r.dst === dst)!;
    expect(find('10.20.0.0/16')).toMatchObject({ nhid: 7, gateway: '192.168.1.1', dev: 'eth0' });
    expect(find('10.21.0.0/16').nexthops).toEqual([
      { gateway: '192.168.1.1', dev: 'eth0', weight: 3, flags: [] },
      { gateway: '10.8.0.1', dev: 'vpn', weight: 1, flags: ['linkdown'] },
    ]);
    expect(find('2001:db8:21::/48').nexthops).toHaveLength(2);
    expect(find('10.22.0.0/16').metrics).toEqual({
      mtu: 1400,
      window: 65535,
      rtt: 100,
      advmss: 1360,
      hoplimit: 32,
      initcwnd: 10,
    });
    expect(find('10.23.0.0/16').metrics).toMatchObject({
      mtu: 1300,
      lock: 4 | (1 << 13),
      congestion: 'cubic',
      rto_min: 3000,
    });
    expect(find('10.24.0.0/16').flags).toEqual(['onlink']);
    expect(find('10.25.0.0/16')).toMatchObject({ via: { family: 'inet6', host: 'fd00:1::1' }, dev: 'eth0' });
    expect(find('10.25.0.0/16').gateway).toBeUndefined();
    expect(find('2001:db8:22::/48').pref).toBe('high');
    expect(find('2001:db8:23::/48').expires).toBeGreaterThan(590);
    expect(find('10.26.0.0/16')).toMatchObject({ table: 100 });
    expect(find('10.26.0.0/16').nexthops?.[1]).toMatchObject({ gateway: '10.99.0.1', flags: ['onlink'] });
  });

  it('gives plain routes no extra fields', async () => {
    const [route] = (await nl.listRoutes({ family: 4 })).filter((r) => r.dst === '0.0.0.0/0');
    expect(Object.keys(route!)).toEqual([
      'family',
      'table',
      'dst',
      'gateway',
      'dev',
      'metric',
      'protocol',
      'scope',
      'type',
      'prefsrc',
      'pref',
    ]);
  });
});
