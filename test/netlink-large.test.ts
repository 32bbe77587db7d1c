// A table with 100k routes: the dump returns every one, identical to what ip shows.
import { beforeAll, describe, expect, it } from 'vitest';
import { NetlinkError, netlink, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ipBatch, ipJson } from './support/ip.js';
import { createLan } from './support/lan.js';
import { manyDst4 } from './support/many-routes.js';
import { type ComparableRoute, fromIp, fromRoute, type IpRouteEntry } from './support/routes.js';

const COUNT = 100_000;
const GATEWAYS = ['192.168.1.1', '192.168.1.3', '192.168.1.4', '192.168.1.5'];
const COUNT6 = 30_000;
const GATEWAYS6 = ['fd00:1::1', 'fd00:1::3'];

// Distinct destinations (manyDst4) spread over four gateways, some with metrics and our protocol, some through
// the device only: the decoder sees every shape often.
function routeLine(i: number): string {
  const dst = manyDst4(i);
  const via = i % 5 === 0 ? 'dev eth0' : `via ${GATEWAYS[i % GATEWAYS.length]}`;
  const metric = i % 3 === 0 ? ` metric ${i % 1000}` : '';
  const proto = i % 7 === 0 ? ' proto 157' : '';
  return `route add ${dst} ${via}${metric}${proto}`;
}

const key = (r: ComparableRoute) =>
  `${r.dst}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.metric ?? ''}|${r.protocol}|${r.scope}|${r.type}|${r.table}|${r.prefsrc ?? ''}`;

let ns: string;
let nl: RouteSocket;
let oracle: ComparableRoute[];

describe(`a table with ${COUNT} routes`, () => {
  beforeAll(async () => {
    const lan = await createLan();
    ns = lan.client;
    const lines = Array.from({ length: COUNT }, (_, i) => routeLine(i));
    await ipBatch(ns, lines, { timeoutMs: 240_000 });
    const entries = await ipJson<IpRouteEntry[]>(ns, '-d', '-N', '-4', 'route', 'show', 'table', 'main');
    oracle = entries.map((e) => fromIp(e, 4));
    // And IPv6, in a table of its own: 30k /64s in 2001:db8::/32.
    const lines6 = Array.from(
      { length: COUNT6 },
      (_, i) =>
        `route add 2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::/64 via ${GATEWAYS6[i % 2]} table 200${i % 3 === 0 ? ` metric ${i % 500}` : ''}`,
    );
    await ipBatch(ns, lines6, { timeoutMs: 240_000 });
    nl = await netlink.open({ netns: ns, timeoutMs: 30_000 });
    return () => nl.close();
  }, 300_000);

  it('has them all (as ip sees it)', () => {
    expect(oracle.length).toBeGreaterThanOrEqual(COUNT);
  });

  it('listRoutes returns every route, identical to ip -j route show', async () => {
    const started = performance.now();
    const ours: Route[] = await nl.listRoutes({ family: 4 });
    const seconds = (performance.now() - started) / 1000;
    expect(ours.length).toBe(oracle.length);
    // The whole set, field by field (as keys: deep-equal on 100k objects would be slow).
    const ourKeys = ours.map((r) => key(fromRoute(r))).sort();
    const theirKeys = oracle.map(key).sort();
    expect(ourKeys.length).toBe(theirKeys.length);
    const firstDifference = ourKeys.findIndex((k, i) => k !== theirKeys[i]);
    expect(
      firstDifference,
      `first difference: ours ${ourKeys[firstDifference]} vs ip ${theirKeys[firstDifference]}`,
    ).toBe(-1);
    // Spot checks, as whole objects.
    for (const i of [0, 1, 2, 3, 5, 7, 35, COUNT - 1, 12_345, 54_321]) {
      const dst = routeLine(i).split(' ')[2];
      const cidr = dst.includes('/') ? dst : `${dst}/32`;
      const mine = ours.filter((r) => r.dst === cidr).map(fromRoute);
      expect(mine, cidr).toEqual(oracle.filter((r) => r.dst === cidr));
      expect(mine.length, cidr).toBeGreaterThan(0);
    }
    // Calibration only: generous, so a slow CI machine does not fail it, but a quadratic decoder would.
    expect(seconds).toBeLessThan(20);
  }, 120_000);

  it(`lists ${COUNT6} IPv6 routes of a numbered table, identical to ip`, async () => {
    const ours = await nl.listRoutes({ family: 6, table: 200 });
    const theirs = (await ipJson<IpRouteEntry[]>(ns, '-d', '-N', '-6', 'route', 'show', 'table', '200')).map((e) =>
      fromIp(e, 6, 200),
    );
    expect(ours.length).toBe(COUNT6);
    expect(ours.map((r) => key(fromRoute(r))).sort()).toEqual(theirs.map(key).sort());
    // The big tables do not leak into others: main holds only the LAN's IPv6 routes.
    expect((await nl.listRoutes({ family: 6 })).length).toBeLessThan(10);
  }, 120_000);

  it('filters the big table by protocol in the kernel', async () => {
    const ours = await nl.listRoutes({ family: 4, protocol: 157 });
    expect(ours.length).toBe(oracle.filter((r) => r.protocol === 157).length);
    expect(ours.length).toBeGreaterThan(COUNT / 10);
    expect(ours.every((r) => r.protocol === 'redirect-gateway')).toBe(true);
  }, 60_000);

  it('survives the table changing during the dump: a full list, or an EINTR NetlinkError, never a hang', async () => {
    // Another process adds and removes 2000 routes while we dump; the kernel may flag the dump as
    // interrupted (NLM_F_DUMP_INTR), which must be retried or reported, not ignored.
    const churn = Array.from(
      { length: 2000 },
      (_, i) => `route add 192.0.2.${i % 250}/32 via 192.168.1.1 metric ${1000 + i}`,
    );
    const churning = ipBatch(ns, [...churn, ...churn.map((l) => l.replace('route add', 'route del'))], {
      timeoutMs: 120_000,
    });
    let lists = 0;
    let interrupted = 0;
    let done = false;
    void churning.finally(() => (done = true));
    while (!done || lists + interrupted === 0) {
      try {
        const routes = await nl.listRoutes({ family: 4 });
        expect(routes.length).toBeGreaterThanOrEqual(oracle.length);
        expect(routes.length).toBeLessThanOrEqual(oracle.length + 2000);
        lists++;
      } catch (e) {
        expect(e).toBeInstanceOf(NetlinkError);
        expect((e as NetlinkError).code).toBe('EINTR');
        interrupted++;
      }
    }
    await churning;
    expect(lists + interrupted).toBeGreaterThan(0);
    // Quiet again: the list is exact.
    expect((await nl.listRoutes({ family: 4 })).length).toBe(oracle.length);
  }, 180_000);

  it('answers getRoute without reading the table', async () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) await nl.getRoute('10.0.1.2', { fibMatch: true });
    expect((performance.now() - started) / 100).toBeLessThan(50);
    expect(fromRoute(await nl.getRoute('10.0.1.2', { fibMatch: true }))).toMatchObject({ dst: '10.0.1.2/32' });
  });
});
