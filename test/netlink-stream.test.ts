// The streaming and targeted RouteSocket calls against iproute2: routes() and routeBatches() on a 20k-route
// table, findRoutes (exact lookups), getLink, and bulkChange (thousands of changes, per-change failures,
// invalid input).
import { readdirSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, netlink, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import type { Change } from '../src/netlink/types.js';
import { ip, ipBatch, ipJson } from './support/ip.js';
import { createLan, type Lan } from './support/lan.js';
import { ipLinks } from './support/links.js';
import { type ComparableRoute, expectSameRoutes, fromRoute, ipRoutes, OUR_PROTOCOL } from './support/routes.js';
import { createTun } from './support/tun.js';

const key = (r: ComparableRoute) =>
  `${r.family}|${r.table}|${r.dst}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.metric ?? ''}|${r.protocol}|${r.scope}|${r.type}|${r.prefsrc ?? ''}`;
const keysOf = (routes: Route[]) => routes.map((r) => key(fromRoute(r))).sort();
const oracleKeys = (routes: ComparableRoute[]) => routes.map(key).sort();

async function collectBatches(gen: AsyncGenerator<Route[], void, undefined>): Promise<Route[][]> {
  const batches: Route[][] = [];
  for await (const batch of gen) batches.push(batch);
  return batches;
}

async function collect(it: AsyncIterable<Route>): Promise<Route[]> {
  const out: Route[] = [];
  for await (const route of it) out.push(route);
  return out;
}

const openFds = () => readdirSync('/proc/self/fd').length;

// ---------------------------------------------------------------------------------------------------------
const COUNT4 = 20_000;
const COUNT6 = 5_000;
const GATEWAYS = ['192.168.1.1', '192.168.1.3', '192.168.1.4'];

// Host routes in 10/8 (even i) and /28s in 172.16/12 (odd i), distinct; gateways, dev-only, metrics, and
// protocols as numbers (static 4, ours 157).
function line4(i: number): string {
  const n = i >> 1;
  const dst = i % 2 === 0 ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : `172.${16 + ((n * 16) >> 16)}.${((n * 16) >> 8) & 255}.${(n * 16) & 255}/28`;
  const via = i % 5 === 0 ? 'dev eth0' : `via ${GATEWAYS[i % GATEWAYS.length]}`;
  const metric = i % 3 === 0 ? ` metric ${i % 1000}` : '';
  const proto = i % 7 === 0 ? ` proto ${OUR_PROTOCOL}` : i % 11 === 0 ? ' proto 4' : '';
  return `route add ${dst} ${via}${metric}${proto}`;
}

function line6(i: number): string {
  return `route add 2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::/64 via fd00:1::${i % 2 ? 1 : 3}${i % 3 === 0 ? ` metric ${i % 500}` : ''}${i % 4 === 0 ? ` proto ${OUR_PROTOCOL}` : ''}`;
}

describe(`routes() and routeBatches() on ${COUNT4 + COUNT6} routes`, () => {
  let ns: string;
  let nl: RouteSocket;
  let oracle4: ComparableRoute[];
  let oracle6: ComparableRoute[];

  beforeAll(async () => {
    const lan = await createLan();
    ns = lan.client;
    // fd00:1::3 is on-link (fd00:1::/64), like 192.168.1.3 and .4 (192.168.1.0/24).
    await ipBatch(ns, Array.from({ length: COUNT4 }, (_, i) => line4(i)), { timeoutMs: 240_000 });
    await ipBatch(ns, Array.from({ length: COUNT6 }, (_, i) => line6(i)), { timeoutMs: 240_000 });
    oracle4 = await ipRoutes(ns, { family: 4 });
    oracle6 = await ipRoutes(ns, { family: 6 });
    nl = await netlink.open({ netns: ns, timeoutMs: 30_000 });
    return () => nl.close();
  }, 300_000);

  it('has the routes (as ip sees them)', () => {
    expect(oracle4.length).toBeGreaterThanOrEqual(COUNT4);
    expect(oracle6.length).toBeGreaterThanOrEqual(COUNT6);
  });

  for (const family of [4, 6] as const) {
    it(`IPv${family}: routeBatches gives exactly what listRoutes gives and ip shows`, async () => {
      const oracle = family === 4 ? oracle4 : oracle6;
      const batches = await collectBatches(nl.routeBatches({ family }));
      const streamed = batches.flat();
      const listed = await nl.listRoutes({ family });
      expect(streamed.length).toBe(oracle.length);
      expect(listed.length).toBe(oracle.length);
      expect(keysOf(streamed)).toEqual(oracleKeys(oracle));
      // Same routes in the same order as the dump listRoutes reads.
      expect(streamed).toEqual(listed);
      expect(batches.every((b) => b.length > 0)).toBe(true);
      expect(batches.length).toBeGreaterThan(1);
    });

    it(`IPv${family}: routes() gives exactly what listRoutes gives and ip shows`, async () => {
      const oracle = family === 4 ? oracle4 : oracle6;
      const streamed = await collect(nl.routes({ family }));
      expect(streamed.length).toBe(oracle.length);
      expect(keysOf(streamed)).toEqual(oracleKeys(oracle));
      expect(streamed).toEqual(await nl.listRoutes({ family }));
    });
  }

  it('both families and every table, when asked', async () => {
    const streamed = await collect(nl.routes({ table: 'all' }));
    const oracle = await ipRoutes(ns, { table: 'all' });
    expect(keysOf(streamed)).toEqual(oracleKeys(oracle));
    expect(new Set(streamed.map((r) => r.family))).toEqual(new Set([4, 6]));
    expect(new Set(streamed.map((r) => r.table))).toEqual(new Set(['main', 'local']));
  });

  it('gives the same routes whatever the batchSize, in batches that are never empty', async () => {
    for (const batchSize of [1, 7, 1000, 4096]) {
      const batches = await collectBatches(nl.routeBatches({ family: 4, batchSize }));
      expect(batches.every((b) => b.length > 0), `batch size ${batchSize}`).toBe(true);
      expect(keysOf(batches.flat()), `batch size ${batchSize}`).toEqual(oracleKeys(oracle4));
    }
    // Batches grow with batchSize.
    const small = await collectBatches(nl.routeBatches({ family: 4, batchSize: 1000 }));
    const large = await collectBatches(nl.routeBatches({ family: 4, batchSize: 8000 }));
    expect(large.length).toBeLessThan(small.length);
    // A batch larger than the table.
    const whole = await collectBatches(nl.routeBatches({ family: 6, batchSize: 1_000_000 }));
    expect(keysOf(whole.flat())).toEqual(oracleKeys(oracle6));
    // And routes() takes batchSize too: the same routes.
    expect(keysOf(await collect(nl.routes({ family: 6, batchSize: 3 })))).toEqual(oracleKeys(oracle6));
  });

  it('makes batches of about batchSize: a batch ends at the first whole kernel reply that reaches it', async () => {
    const sizes = async (batchSize: number) => (await collectBatches(nl.routeBatches({ family: 4, batchSize }))).map((b) => b.length);
    const small = await sizes(200);
    const large = await sizes(4096);
    expect(large.length).toBeLessThan(small.length);
    expect(Math.max(...large.slice(0, -1))).toBeGreaterThanOrEqual(4096);
    expect(Math.min(...large.slice(0, -1))).toBeLessThan(2 * 4096);
  });

  it('filters like listRoutes (protocol, dev)', async () => {
    for (const options of [{ family: 4 as const, protocol: OUR_PROTOCOL }, { family: 4 as const, protocol: 'static' }, { family: 6 as const, protocol: 'redirect-gateway' }, { family: 4 as const, dev: 'eth0' }]) {
      const streamed = await collect(nl.routes(options));
      const listed = await nl.listRoutes(options);
      expect(streamed.length, JSON.stringify(options)).toBeGreaterThan(100);
      expect(keysOf(streamed), JSON.stringify(options)).toEqual(keysOf(listed));
    }
    const ours = (await collectBatches(nl.routeBatches({ family: 4, protocol: OUR_PROTOCOL, batchSize: 100 }))).flat();
    expectSameRoutes(ours, oracle4.filter((r) => r.protocol === OUR_PROTOCOL));
  });

  it('stopping early (break) leaves the socket usable, and the next streams whole', async () => {
    const seen: Route[] = [];
    for await (const route of nl.routes({ family: 4 })) {
      seen.push(route);
      if (seen.length === 1500) break;
    }
    expect(seen.length).toBe(1500);
    expect(keysOf(await nl.listRoutes({ family: 4 }))).toEqual(oracleKeys(oracle4));

    let batches = 0;
    for await (const batch of nl.routeBatches({ family: 6, batchSize: 200 })) {
      expect(batch.length).toBeGreaterThan(0);
      if (++batches === 2) break;
    }
    expect(batches).toBe(2);
    expect(keysOf(await collect(nl.routes({ family: 6 })))).toEqual(oracleKeys(oracle6));
    expect(keysOf((await collectBatches(nl.routeBatches({ family: 4 }))).flat())).toEqual(oracleKeys(oracle4));
    // A stop after the very first route, and a getLink and findRoutes after it.
    for await (const _ of nl.routes()) break;
    expect(await nl.getLink('eth0')).toMatchObject({ name: 'eth0' });
    expect((await nl.findRoutes([{ dst: '0.0.0.0/0' }]))[0]).toMatchObject({ dst: '0.0.0.0/0', gateway: '192.168.1.1' });
  });

  it('an early stop closes the stream\'s own socket (no descriptor left behind)', async () => {
    // Warm up (lazy addon state), then count descriptors around many early stops.
    for await (const _ of nl.routes({ family: 4 })) break;
    const before = openFds();
    for (let i = 0; i < 40; i++) {
      for await (const _ of nl.routes({ family: i % 2 ? 4 : 6 })) break;
      for await (const _ of nl.routeBatches({ family: 4, batchSize: 50 })) break;
    }
    expect(openFds() - before).toBeLessThan(10);
  });

  it('leaves the socket free for other calls while a stream is paused', async () => {
    const it = nl.routes({ family: 4, batchSize: 100 });
    const first = await it.next();
    expect(first.done).toBe(false);
    // Meanwhile, on the same RouteSocket:
    const listed = await nl.listRoutes({ family: 6 });
    expect(keysOf(listed)).toEqual(oracleKeys(oracle6));
    const rest = [first.value as Route, ...(await collect(it))];
    expect(keysOf(rest)).toEqual(oracleKeys(oracle4));
  });

  it('rejects bad options with InvalidInputError', async () => {
    await expect(nl.routeBatches({ family: 5 as 4 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routeBatches({ batchSize: -1 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routeBatches({ batchSize: 1.5 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routes({ protocol: 'nosuchproto' }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routes({ dev: 'a-name-too-long0' }).next()).rejects.toBeInstanceOf(InvalidInputError);
    // A well-formed name of no device: the kernel's ENODEV, as listRoutes says it.
    await expect(nl.routes({ dev: 'nosuchdev0' }).next()).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENODEV' });
    // And the socket still works.
    expect((await nl.listRoutes({ family: 6 })).length).toBe(oracle6.length);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('findRoutes', () => {
  let lan: Lan;
  let nl: RouteSocket;
  let oracle: ComparableRoute[];

  beforeEach(async () => {
    lan = await createLan();
    const ns = lan.client;
    await createTun(ns, { address: '10.8.0.2/24', address6: 'fd00:8::2/64' });
    await ipBatch(ns, [
      'route add 10.1.0.0/16 via 192.168.1.1 metric 5 proto 4',
      `route add 10.5.0.0/16 dev vpn proto ${OUR_PROTOCOL}`,
      'route add 198.51.100.7 via 192.168.1.1 proto 4',
      'route add 198.51.100.0/24 dev eth0 metric 20',
      'route add blackhole 203.0.113.0/24',
      'route add 2001:db8:1::/48 via fd00:1::1 metric 5 proto 4',
      `route add 2001:db8:5::/48 dev vpn proto ${OUR_PROTOCOL}`,
      'route add 2001:db8:2::7 via fd00:1::1 proto 4',
      'route add unreachable 2001:db8:dead::/48',
    ]);
    oracle = await ipRoutes(ns, { table: 'all' });
    nl = await netlink.open({ netns: ns });
  });

  afterEach(() => nl?.close());

  /** The one oracle route with this dst (and dev), in the main table. */
  function inIp(dst: string, dev?: string): ComparableRoute {
    const found = oracle.filter((r) => r.dst === dst && r.table === 254 && (dev === undefined || r.dev === dev));
    expect(found.length, `ip's routes to ${dst}`).toBe(1);
    return found[0];
  }

  it('finds present routes, IPv4 and IPv6, as ip shows them, in the order asked', async () => {
    const dsts = [
      ['10.1.0.0/16'], ['10.5.0.0/16'], ['198.51.100.7/32'], ['198.51.100.0/24'], ['0.0.0.0/0'], ['192.168.1.0/24'],
      ['2001:db8:1::/48'], ['2001:db8:5::/48'], ['2001:db8:2::7/128'], ['::/0'], ['fd00:1::/64', 'eth0'], ['fd00:8::/64', 'vpn'],
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
    expect(added).toMatchObject({ dst: '10.77.0.0/16', gateway: '192.168.1.1', dev: 'eth0', protocol: 'static', table: 'main' });
  });

  it('answers many queries at once, repeated queries alike', async () => {
    const queries = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? { dst: '10.1.0.0/16' } : i % 3 === 1 ? { dst: '2001:db8:5::/48', dev: 'vpn' } : { dst: `10.${200 + (i >> 8)}.${i & 255}.0/24` }));
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
      { dst: '203.0.113.0/24' }, { dst: '198.18.0.0/24' }, { dst: '2001:db8:beef::/48' }, { dst: '198.18.0.5/32' },
      { dst: '2001:db8:beef::5/128' }, { dst: '10.1.0.0/16' },
    ]);
    expect(found.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(found[5]?.dst).toBe('10.1.0.0/16');
  });

  it('rejects invalid input with InvalidInputError', async () => {
    await expect(nl.findRoutes('10.1.0.0/16' as unknown as [])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([null as unknown as { dst: string }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: 'not-an-address' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/33' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', dev: 'a-name-too-long0' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', protocol: 'nosuchproto' }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.findRoutes([{ dst: '10.1.0.0/16', metric: -1 }])).rejects.toBeInstanceOf(InvalidInputError);
  });
});

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

// ---------------------------------------------------------------------------------------------------------
describe('bulkChange', () => {
  let lan: Lan;
  let nl: RouteSocket;

  beforeEach(async () => {
    lan = await createLan();
    nl = await netlink.open({ netns: lan.client, timeoutMs: 30_000 });
  });

  afterEach(() => nl?.close());

  const N = 6000;
  const dstOf = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;
  const ours = async () => (await ipRoutes(lan.client, { family: 4 })).filter((r) => r.dst.startsWith('10.'));

  function* adds(n: number): Generator<Change> {
    for (let i = 0; i < n; i++) yield { op: 'add', route: { dst: dstOf(i), gateway: '192.168.1.1', metric: i % 4, protocol: OUR_PROTOCOL } };
  }

  it('adds and deletes thousands of routes (sync and async iterables), as ip then shows', async () => {
    const added = await nl.bulkChange(adds(N), { chunkSize: 1000 });
    expect(added).toEqual({ applied: N, failed: 0, failures: [] });
    const after = await ours();
    expect(after.length).toBe(N);
    expect(new Set(after.map((r) => `${r.dst} ${r.gateway} ${r.metric ?? 0} ${r.protocol}`))).toEqual(
      new Set(Array.from({ length: N }, (_, i) => `${dstOf(i)} 192.168.1.1 ${i % 4} ${OUR_PROTOCOL}`)),
    );
    // IPv6 too, default chunk size.
    const six = Array.from({ length: 2500 }, (_, i): Change => ({ op: 'add', route: { dst: `2001:db8:${i.toString(16)}::/48`, dev: 'eth0', gateway: 'fd00:1::1' } }));
    expect(await nl.bulkChange(six)).toEqual({ applied: 2500, failed: 0, failures: [] });
    expect((await ipRoutes(lan.client, { family: 6 })).filter((r) => r.dst.startsWith('2001:db8:')).length).toBe(2500);

    // Delete every other v4 route, from an async iterable.
    async function* deletes(): AsyncGenerator<Change> {
      for (let i = 0; i < N; i += 2) yield { op: 'delete', route: { dst: dstOf(i), metric: i % 4 } };
    }
    expect(await nl.bulkChange(deletes(), { chunkSize: 777 })).toEqual({ applied: N / 2, failed: 0, failures: [] });
    const left = await ours();
    expect(left.map((r) => r.dst).sort()).toEqual(Array.from({ length: N / 2 }, (_, k) => dstOf(2 * k + 1)).sort());
    // And the rest, plus the v6 ones, in one call.
    const rest: Change[] = [
      ...Array.from({ length: N / 2 }, (_, k): Change => ({ op: 'delete', route: { dst: dstOf(2 * k + 1) } })),
      ...six.map((c): Change => ({ op: 'delete', route: c.route })),
    ];
    expect(await nl.bulkChange(rest, { chunkSize: 4096 })).toMatchObject({ applied: rest.length, failed: 0 });
    expect(await ours()).toEqual([]);
    expect((await ipRoutes(lan.client, { family: 6 })).filter((r) => r.dst.startsWith('2001:db8:'))).toEqual([]);
    // The socket is free again.
    expect(await nl.listRoutes({ family: 4, protocol: OUR_PROTOCOL })).toEqual([]);
  });

  it('reports exactly the changes the kernel refused, with their errors, and applies the rest', async () => {
    await ip(lan.client, 'route', 'add', dstOf(1234), 'via', '192.168.1.1', 'metric', String(1234 % 4));
    const changes = [...adds(3000)];
    changes.push({ op: 'add', route: { dst: dstOf(10), gateway: '192.168.1.1', metric: 10 % 4, protocol: OUR_PROTOCOL } }); // duplicate of #10
    changes.push({ op: 'delete', route: { dst: '10.250.0.0/24' } }); // absent
    changes.push({ op: 'replace', route: { dst: '10.251.0.0/24', gateway: '192.168.1.1' } }); // fine
    const result = await nl.bulkChange(changes, { chunkSize: 512 });
    expect(result.applied).toBe(changes.length);
    expect(result.failed).toBe(3);
    expect(result.failures.map((f) => changes.indexOf(f.change))).toEqual([1234, 3000, 3001]);
    expect(result.failures.map((f) => f.error)).toEqual([expect.any(NetlinkError), expect.any(NetlinkError), expect.any(NetlinkError)]);
    expect(result.failures[0].error).toMatchObject({ errno: 17, code: 'EEXIST', operation: 'addRoute', route: changes[1234].route });
    expect(result.failures[1].error).toMatchObject({ errno: 17, code: 'EEXIST', operation: 'addRoute', route: changes[3000].route });
    expect(result.failures[2].error).toMatchObject({ errno: 3, code: 'ESRCH', operation: 'deleteRoute' });
    // Everything not refused is in the table.
    const present = new Set((await ours()).map((r) => `${r.dst} ${r.metric ?? 0}`));
    for (let i = 0; i < 3000; i++) expect(present.has(`${dstOf(i)} ${i % 4}`), dstOf(i)).toBe(true);
    expect(present.has('10.251.0.0/24 0')).toBe(true);
    expect(present.size).toBe(3001);
  });

  it('gives EEXIST for exactly the one duplicate add among thousands', async () => {
    await ip(lan.client, 'route', 'add', dstOf(2222), 'via', '192.168.1.1', 'metric', String(2222 % 4));
    const changes = [...adds(4000)];
    const result = await nl.bulkChange(changes, { chunkSize: 1000 });
    expect(result.applied).toBe(4000);
    expect(result.failed).toBe(1);
    expect(result.failures.length).toBe(1);
    expect(result.failures[0].change).toBe(changes[2222]);
    expect(result.failures[0].error).toBeInstanceOf(NetlinkError);
    expect(result.failures[0].error).toMatchObject({ errno: 17, code: 'EEXIST' });
    expect((await ours()).length).toBe(4000); // the 3999 added, and ip's own
  });

  it('rejects invalid input with InvalidInputError, after applying the chunks before it', async () => {
    const changes = [...adds(2500)];
    changes[2100] = { op: 'add', route: { dst: 'not-an-address', gateway: '192.168.1.1' } };
    const error = await nl.bulkChange(changes, { chunkSize: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as { bulk?: unknown }).bulk).toEqual({ applied: 2000, failures: [] });
    const present = (await ours()).map((r) => r.dst).sort();
    expect(present).toEqual(Array.from({ length: 2000 }, (_, i) => dstOf(i)).sort());

    // Invalid before anything is sent: nothing changes.
    const before = await ipRoutes(lan.client, { table: 'all' });
    await expect(nl.bulkChange([{ op: 'frob' as 'add', route: { dst: '10.99.0.0/16', gateway: '192.168.1.1' } }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/33' } }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', dev: 'a-name-too-long0' } }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', gateway: 'nope' } }])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([], { chunkSize: -5 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([null as unknown as Change])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await ipRoutes(lan.client, { table: 'all' })).toEqual(before);
    // Still usable.
    expect(await nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', gateway: '192.168.1.1' } }])).toEqual({ applied: 1, failed: 0, failures: [] });
  });

  it('fails the call with ENODEV for a device that does not exist', async () => {
    const changes = [...adds(1500)];
    changes[1200] = { op: 'add', route: { dst: '10.98.0.0/16', dev: 'nosuchdev0' } };
    const error = await nl.bulkChange(changes, { chunkSize: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlinkError);
    expect(error).toMatchObject({ errno: 19, code: 'ENODEV' });
    expect((error as { bulk?: { applied: number } }).bulk?.applied).toBe(1000);
    expect((await ours()).length).toBe(1000);
  });

  it('an empty source is no change', async () => {
    const before = await ipRoutes(lan.client, { table: 'all' });
    expect(await nl.bulkChange([])).toEqual({ applied: 0, failed: 0, failures: [] });
    expect(await nl.bulkChange((async function* () {})())).toEqual({ applied: 0, failed: 0, failures: [] });
    expect(await ipRoutes(lan.client, { table: 'all' })).toEqual(before);
  });
});
