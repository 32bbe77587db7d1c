// The streaming RouteSocket calls against iproute2: routes() and routeBatches() on a 25k-route table (routes()
// reads through routeBatches: one table, set up once, serves both). findRoutes, getLink and bulkChange have
// files of their own (netlink-find, netlink-getlink, netlink-bulk).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, netlink, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { newSockets, openDescriptors } from './support/descriptors.js';
import { run } from './support/exec.js';
import { ipBatch } from './support/ip.js';
import { createLan } from './support/lan.js';
import { manyDst4 } from './support/many-routes.js';
import { REPO } from './support/package.js';
import { type ComparableRoute, expectSameRoutes, fromRoute, ipRoutes, OUR_PROTOCOL } from './support/routes.js';

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

// Distinct destinations (manyDst4); gateways, dev-only, metrics, and protocols as numbers (static 4, ours 157).
function line4(i: number): string {
  const dst = manyDst4(i);
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
    await ipBatch(
      ns,
      Array.from({ length: COUNT4 }, (_, i) => line4(i)),
      { timeoutMs: 240_000 },
    );
    await ipBatch(
      ns,
      Array.from({ length: COUNT6 }, (_, i) => line6(i)),
      { timeoutMs: 240_000 },
    );
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
      expect(
        batches.every((b) => b.length > 0),
        `batch size ${batchSize}`,
      ).toBe(true);
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
    const sizes = async (batchSize: number) =>
      (await collectBatches(nl.routeBatches({ family: 4, batchSize }))).map((b) => b.length);
    const small = await sizes(200);
    const large = await sizes(4096);
    expect(large.length).toBeLessThan(small.length);
    expect(Math.max(...large.slice(0, -1))).toBeGreaterThanOrEqual(4096);
    expect(Math.min(...large.slice(0, -1))).toBeLessThan(2 * 4096);
  });

  it('filters like listRoutes (protocol, dev)', async () => {
    for (const options of [
      { family: 4 as const, protocol: OUR_PROTOCOL },
      { family: 4 as const, protocol: 'static' },
      { family: 6 as const, protocol: 'redirect-gateway' },
      { family: 4 as const, dev: 'eth0' },
    ]) {
      const streamed = await collect(nl.routes(options));
      const listed = await nl.listRoutes(options);
      expect(streamed.length, JSON.stringify(options)).toBeGreaterThan(100);
      expect(keysOf(streamed), JSON.stringify(options)).toEqual(keysOf(listed));
    }
    const ours = (await collectBatches(nl.routeBatches({ family: 4, protocol: OUR_PROTOCOL, batchSize: 100 }))).flat();
    expectSameRoutes(
      ours,
      oracle4.filter((r) => r.protocol === OUR_PROTOCOL),
    );
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
    expect((await nl.findRoutes([{ dst: '0.0.0.0/0' }]))[0]).toMatchObject({
      dst: '0.0.0.0/0',
      gateway: '192.168.1.1',
    });
  });

  it("an early stop closes the stream's own socket (no descriptor left behind)", async () => {
    // Warm up (lazy addon state), then count descriptors around many early stops.
    for await (const _ of nl.routes({ family: 4 })) break;
    const before = openFds();
    for (let i = 0; i < 40; i++) {
      for await (const _ of nl.routes({ family: i % 2 ? 4 : 6 })) break;
      for await (const _ of nl.routeBatches({ family: 4, batchSize: 50 })) break;
    }
    expect(openFds() - before).toBeLessThan(10);
  });

  it("an early stop has closed the stream's own socket by the time the loop is left", async () => {
    for await (const _ of nl.routes({ family: 4 })) break; // warm up (lazy addon state)
    const before = openDescriptors();
    for await (const _ of nl.routeBatches({ family: 4, batchSize: 50 })) break;
    expect(newSockets(before)).toEqual([]);
    for await (const _ of nl.routes({ family: 6 })) break;
    expect(newSockets(before)).toEqual([]);
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

  it('a process that leaves a stream unfinished and unclosed exits by itself', async () => {
    // The dump's reader thread reads ahead while the consumer holds a batch (and the stream: no garbage
    // collection ends it), but holds the event loop only while JS waits for it.
    const script = `
      import { netlink } from ${JSON.stringify(join(REPO, 'dist/index.js'))};
      const nl = await netlink.open({ netns: ${JSON.stringify(ns)} });
      globalThis.stream = nl.routeBatches({ family: 4, batchSize: 100 });
      const first = await globalThis.stream.next();
      nl.close();
      console.log(first.value.length > 0 ? 'read' : 'empty');
    `;
    const exit = await run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 30_000 });
    expect(exit.stdout.trim()).toBe('read');
  });

  it('rejects bad options with InvalidInputError', async () => {
    await expect(nl.routeBatches({ family: 5 as 4 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routeBatches({ batchSize: -1 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routeBatches({ batchSize: 1.5 }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routes({ protocol: 'nosuchproto' }).next()).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.routes({ dev: 'a-name-too-long0' }).next()).rejects.toBeInstanceOf(InvalidInputError);
    // A well-formed name of no device: the kernel's ENODEV, as listRoutes says it.
    await expect(nl.routes({ dev: 'nosuchdev0' }).next()).rejects.toMatchObject({
      name: 'NetlinkError',
      code: 'ENODEV',
    });
    // And the socket still works.
    expect((await nl.listRoutes({ family: 6 })).length).toBe(oracle6.length);
  });
});
