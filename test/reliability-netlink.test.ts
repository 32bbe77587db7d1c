// Netlink robustness, from the outside: a dump of a large table while another process changes routes in the
// same namespace either resolves with a complete, consistent list or rejects with a NetlinkError EINTR, never
// silently partial; and every read has a deadline: a kernel that does not answer makes a call fail with
// ETIMEDOUT instead of hanging.
//
// "The kernel does not answer" is provoked honestly enough: strace makes the process' sendmsg and sendto calls return
// success without entering the kernel (fault injection), so the request never reaches the kernel and the reply
// the addon polls for never comes. The socket, the poll and the deadline are the real ones.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlinkError, netlink, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip, ipBatch } from './support/ip.js';
import { createNetns } from './support/netns.js';
import { REPO, tempDir } from './support/package.js';
import { start, type Running } from './support/exec.js';
import { duplicates } from './support/reliability-tools.js';
import { NETLINK_SEND, startInjected } from './support/strace-inject.js';
import { createSeed, routeText, SERVER } from './support/seed.js';

const COUNT = 100_000;

/** Another process that keeps changing routes (ip -batch, over and over) until stopped. */
function churn(ns: string, lines: string[], dir: string): { stop(): Promise<number> } {
  const file = join(dir, `churn-${ns}`);
  let stopped = false;
  let current: Running | undefined;
  let rounds = 0;
  const loop = (async () => {
    await writeFile(file, lines.join('\n') + '\n');
    while (!stopped) {
      current = start('ip', ['-n', ns, '-force', '-batch', file], { timeoutMs: 120_000 });
      await current.exit;
      rounds++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      current?.child.kill('SIGKILL');
      await loop;
      return rounds;
    },
  };
}

interface DumpTally {
  resolved: number;
  interrupted: number;
  inconsistent: string[];
}

/**
 * Dumps `family` over and over while the churn runs; every resolved list must hold each of the COUNT untouched
 * routes (protocol static) exactly once, and no route twice. Stops at the first inconsistent list, or after
 * `dumps` dumps.
 */
async function dumpWhileChurning(nl: RouteSocket, family: 4 | 6, dumps: number): Promise<DumpTally> {
  const tally: DumpTally = { resolved: 0, interrupted: 0, inconsistent: [] };
  for (let i = 0; i < dumps && tally.inconsistent.length === 0; i++)
    await tallyDump(tally, `dump ${i}`, () => nl.listRoutes({ family }));
  return tally;
}

/**
 * One dump into the tally: a list that resolves must hold each of the COUNT untouched routes (protocol static)
 * exactly once, and no route twice; a dump that rejects must reject with NetlinkError EINTR.
 */
async function tallyDump(tally: DumpTally, what: string, dump: () => Promise<Route[]>): Promise<void> {
  try {
    const routes = await dump();
    tally.resolved++;
    const untouched = routes.filter((r) => r.protocol === 'static').map((r) => r.dst);
    // A route is its table, dst, dev, metric and protocol: fe80::/64 is there once per device (v0 and v1).
    const twice = duplicates(routes.map((r) => `${r.table} ${r.dst} ${r.dev ?? ''} ${r.metric ?? ''} ${r.protocol}`));
    if (untouched.length !== COUNT || new Set(untouched).size !== COUNT || twice.length > 0) {
      tally.inconsistent.push(
        `${what}: ${new Set(untouched).size} of the ${COUNT} untouched routes (${untouched.length} entries), ` +
          `${twice.length} routes listed twice (e.g. ${twice.slice(0, 3).join(', ')})`,
      );
    }
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(NetlinkError);
    expect((e as NetlinkError).code).toBe('EINTR');
    expect((e as NetlinkError).message).toMatch(/interrupted/);
    tally.interrupted++;
  }
}

/**
 * The dump as routeBatches reads it (the kernel's dump that listRoutes reads too, batch by batch), with
 * `change` made while it is paused after its first batch: a change between two parts of one dump, every time.
 */
async function dumpAcross(nl: RouteSocket, family: 4 | 6, change: () => Promise<void>): Promise<Route[]> {
  const batches = nl.routeBatches({ family, batchSize: 100 });
  const first = await batches.next();
  expect(first.done, 'the dump has a first batch').toBe(false);
  const routes = [...(first.value ?? [])];
  await change();
  for await (const batch of batches) routes.push(...batch);
  return routes;
}

describe('a large dump while another process changes routes', () => {
  let ns: string;
  let nl: RouteSocket;
  let dir: string;

  beforeAll(async () => {
    ns = await createNetns('dump');
    dir = await tempDir('churn');
    await ip(ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await ip(ns, 'address', 'add', '192.0.2.1/24', 'dev', 'v0');
    await ip(ns, 'address', 'add', 'fd00:9::1/64', 'dev', 'v0', 'nodad');
    await ip(ns, 'link', 'set', 'v0', 'up');
    await ip(ns, 'link', 'set', 'v1', 'up');
    nl = await netlink.open({ netns: ns });
  }, 60_000);

  afterAll(() => nl?.close());

  /** dumpWhileChurning while another process makes `changes` (ip -batch lines) over and over. */
  async function dumpsUnderChurn(
    family: 4 | 6,
    changes: string[],
    dumps: number,
  ): Promise<{ tally: DumpTally; rounds: number }> {
    const changer = churn(ns, changes, dir);
    let tally: DumpTally;
    let rounds: number;
    try {
      tally = await dumpWhileChurning(nl, family, dumps);
    } finally {
      rounds = await changer.stop();
    }
    return { tally, rounds };
  }

  it(`IPv4, ${COUNT / 1000}k routes: every list that resolves is complete and has no duplicates`, async () => {
    // The untouched routes: 10.0.0.0 .. 10.1.134.159, host routes, protocol static.
    const untouched = Array.from(
      { length: COUNT },
      (_, i) => `route add 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32 via 192.0.2.2 proto 4`,
    );
    await ipBatch(ns, untouched, { timeoutMs: 120_000 });
    // The churn: /24s and /31s in the same address range (so they sort among the untouched in the kernel's trie)
    // and elsewhere, added and deleted, protocol boot.
    const changed = Array.from({ length: 1500 }, (_, i) =>
      i % 3 === 0
        ? `10.${(i >> 8) & 1}.${i & 255}.0/24`
        : i % 3 === 1
          ? `10.${(i >> 8) & 1}.${i & 255}.${(i * 2) & 255}/31`
          : `172.20.${i >> 8}.${i & 255}/32`,
    );
    const changes = [
      ...changed.map((d) => `route add ${d} via 192.0.2.2`),
      ...changed.map((d) => `route del ${d} via 192.0.2.2`),
    ];
    const { tally, rounds } = await dumpsUnderChurn(4, changes, 12);
    console.log(
      `IPv4 dump of ${COUNT} routes under churn: ${tally.resolved} lists complete, ${tally.interrupted} rejected with EINTR, ` +
        `${tally.inconsistent.length} inconsistent; ${rounds} rounds of 3000 changes by another process`,
    );
    expect(tally.inconsistent).toEqual([]);
    expect(tally.resolved + tally.interrupted).toBe(12);
    expect(rounds, 'the churn ran during the dumps').toBeGreaterThan(0);
    // Quiet again: exact.
    expect((await nl.listRoutes({ family: 4 })).filter((r) => r.protocol === 'static')).toHaveLength(COUNT);
    await ip(ns, '-4', 'route', 'flush', 'proto', '4');
  }, 180_000);

  // The kernel's IPv6 route dump does not set NLM_F_DUMP_INTR when the tree changes between two parts of a
  // dump; it restarts its walk from the root and skips as many routes as it had sent (fib6_dump_table:
  // `w->skip = w->count`), so a concurrent insertion before the cursor makes it send a route twice, a deletion
  // makes it skip one it never sent. `ip -6 route show` has the same problem and does not warn. Our dump is
  // watched by a socket joined to RTNLGRP_IPV6_ROUTE (native/operations.cc): a notification during it makes it
  // EINTR, as the kernel's flag does for IPv4 (listRoutes then reads again). A churn alone hits the moment only
  // by timing, so after the dumps under churn the moment is forced: a dump paused after its first batch, a
  // route added before its cursor (2001:db8::/65, half of the first /64: the kernel's walk visits it first), the
  // dump read to its end. Without the watch the kernel sends one route twice there, and nothing says so.
  it(`IPv6, ${COUNT / 1000}k routes: every list that resolves is complete and has no duplicates`, async () => {
    const untouched = Array.from(
      { length: COUNT },
      (_, i) => `route add 2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::/64 via fd00:9::2 proto 4`,
    );
    await ipBatch(ns, untouched, { timeoutMs: 120_000 });
    const inserted = '2001:db8::/65';
    try {
      const changed = Array.from({ length: 1000 }, (_, i) => `2001:db8:${((i * 97) & 0x1ff).toString(16)}:ff00::/56`);
      const changes = [
        ...changed.map((d) => `route add ${d} via fd00:9::2`),
        ...changed.map((d) => `route del ${d} via fd00:9::2`),
      ];
      const { tally, rounds } = await dumpsUnderChurn(6, changes, 10);
      console.log(
        `IPv6 dump of ${COUNT} routes under churn: ${tally.resolved} lists resolved, ${tally.interrupted} rejected with EINTR, ` +
          `${tally.inconsistent.length} inconsistent (${tally.inconsistent[0] ?? 'none'}); ${rounds} rounds of 2000 changes`,
      );
      expect(tally.inconsistent).toEqual([]);

      const forced: DumpTally = { resolved: 0, interrupted: 0, inconsistent: [] };
      await tallyDump(forced, `a dump across the addition of ${inserted}`, () =>
        dumpAcross(nl, 6, () => ip(ns, '-6', 'route', 'add', inserted, 'via', 'fd00:9::2').then(() => undefined)),
      );
      console.log(
        `IPv6 dump of ${COUNT} routes across one addition: ${forced.inconsistent[0] ?? (forced.resolved ? 'complete' : 'rejected with EINTR')}`,
      );
      expect(forced.inconsistent).toEqual([]);
      expect(forced.interrupted, 'the dump across a change is rejected').toBe(1);
      // Quiet again: exact, and not rejected.
      expect((await nl.listRoutes({ family: 6 })).filter((r) => r.protocol === 'static')).toHaveLength(COUNT);
    } finally {
      await ip(ns, '-6', 'route', 'del', inserted, 'via', 'fd00:9::2').catch(() => undefined);
      await ip(ns, '-6', 'route', 'flush', 'proto', '4');
    }
  }, 180_000);
});

describe('every read has a deadline', () => {
  /** Runs `file args` with every sendmsg and sendto swallowed: they "succeed" without reaching the kernel. */
  function withoutKernel(file: string, args: string[], env?: NodeJS.ProcessEnv) {
    return startInjected(NETLINK_SEND, 'retval=1', file, args, { env, timeoutMs: 20_000 }).exit;
  }

  it('a RouteSocket with timeoutMs 150 rejects listRoutes, getRoute, changeRoutes and listLinks with ETIMEDOUT', async () => {
    const ns = await createNetns('deadline');
    const dir = await tempDir('deadline');
    const script = join(dir, 'main.mjs');
    await writeFile(
      script,
      `
      import { netlink } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist/index.js')).href)};
      const nl = await netlink.open({ netns: ${JSON.stringify(ns)}, timeoutMs: 150 });
      const calls = {
        listRoutes: () => nl.listRoutes(),
        getRoute: () => nl.getRoute('192.0.2.1'),
        // changeRoutes reports per change; the one change's error is the call's.
        changeRoutes: async () => {
          const [result] = await nl.changeRoutes([{ op: 'add', route: { dst: '192.0.2.0/24', type: 'blackhole' } }]);
          if (result.error) throw result.error;
        },
        listLinks: () => nl.listLinks(),
      };
      const out = {};
      for (const [name, call] of Object.entries(calls)) {
        const t = performance.now();
        try { await call(); out[name] = { resolved: true }; }
        catch (e) { out[name] = { name: e.name, code: e.code, message: e.message, ms: Math.round(performance.now() - t) }; }
      }
      nl.close();
      console.log(JSON.stringify(out));
    `,
    );
    const r = await withoutKernel(process.execPath, [script]);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const name of ['listRoutes', 'getRoute', 'changeRoutes', 'listLinks']) {
      expect(out[name], name).toMatchObject({ name: 'NetlinkError', code: 'ETIMEDOUT' });
      expect(out[name].message, name).toMatch(/no answer from the kernel within 150 ms/);
      expect(out[name].ms, name).toBeGreaterThanOrEqual(140);
      expect(out[name].ms, name).toBeLessThan(3000);
    }
    // Nothing reached the kernel.
    expect(await ip(ns, 'route', 'show')).toBe('');
    console.log(
      `deadline: ${Object.entries(out)
        .map(([k, v]) => `${k} ETIMEDOUT after ${(v as { ms: number }).ms} ms`)
        .join(', ')}`,
    );
  }, 30_000);

  it('the hook gives up within its deadline, in one line, when the kernel does not answer, and changes nothing', async () => {
    const seed = await createSeed();
    const before = await routeText(seed.ns);
    const r = await withoutKernel(
      process.execPath,
      [join(REPO, 'dist/cli/main.js'), 'hook', 'up', '--netns', seed.ns],
      {
        ...process.env,
        INTERFACE: seed.vpn,
        REMOTEADDRESS: SERVER,
        NODE: 'server',
      },
    );
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^redirect-gateway: hook: [^\n]*(no answer from the kernel within 300 ms|gave up after 800 ms)[^\n]*\n$/,
    );
    expect(r.ms).toBeLessThan(3000);
    expect(await routeText(seed.ns)).toBe(before);
  }, 30_000);
});
