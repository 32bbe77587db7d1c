// bulkChange against iproute2: thousands of changes, per-change failures, invalid input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, netlink } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import type { Change } from '../src/netlink/types.js';
import { ip } from './support/ip.js';
import { createLan, type Lan } from './support/lan.js';
import { ipRoutes, OUR_PROTOCOL } from './support/routes.js';

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
    for (let i = 0; i < n; i++)
      yield { op: 'add', route: { dst: dstOf(i), gateway: '192.168.1.1', metric: i % 4, protocol: OUR_PROTOCOL } };
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
    const six = Array.from({ length: 2500 }, (_, i): Change => ({
      op: 'add',
      route: { dst: `2001:db8:${i.toString(16)}::/48`, dev: 'eth0', gateway: 'fd00:1::1' },
    }));
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
    changes.push({
      op: 'add',
      route: { dst: dstOf(10), gateway: '192.168.1.1', metric: 10 % 4, protocol: OUR_PROTOCOL },
    }); // duplicate of #10
    changes.push({ op: 'delete', route: { dst: '10.250.0.0/24' } }); // absent
    changes.push({ op: 'replace', route: { dst: '10.251.0.0/24', gateway: '192.168.1.1' } }); // fine
    const result = await nl.bulkChange(changes, { chunkSize: 512 });
    expect(result.applied).toBe(changes.length);
    expect(result.failed).toBe(3);
    expect(result.failures.map((f) => changes.indexOf(f.change))).toEqual([1234, 3000, 3001]);
    expect(result.failures.map((f) => f.error)).toEqual([
      expect.any(NetlinkError),
      expect.any(NetlinkError),
      expect.any(NetlinkError),
    ]);
    expect(result.failures[0].error).toMatchObject({
      errno: 17,
      code: 'EEXIST',
      operation: 'addRoute',
      route: changes[1234].route,
    });
    expect(result.failures[1].error).toMatchObject({
      errno: 17,
      code: 'EEXIST',
      operation: 'addRoute',
      route: changes[3000].route,
    });
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
    await expect(
      nl.bulkChange([{ op: 'frob' as 'add', route: { dst: '10.99.0.0/16', gateway: '192.168.1.1' } }]),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/33' } }])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(
      nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', dev: 'a-name-too-long0' } }]),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', gateway: 'nope' } }]),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([], { chunkSize: -5 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.bulkChange([null as unknown as Change])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await ipRoutes(lan.client, { table: 'all' })).toEqual(before);
    // Still usable.
    expect(await nl.bulkChange([{ op: 'add', route: { dst: '10.99.0.0/16', gateway: '192.168.1.1' } }])).toEqual({
      applied: 1,
      failed: 0,
      failures: [],
    });
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
