// Namespace work off the JS thread: a route dump's IPv6 part makes a socket in the dump's namespace (for the
// notifications that tell a dump interrupted by changes) on the thread that reads it, a libuv pool thread for the
// first batch, the dump's own reader thread after. Such a thread enters the namespace and comes back; it must
// leave no descriptor behind, or each dump of a long-lived process (a reader thread ends, the pool's live on)
// keeps one more open.
import { beforeAll, describe, expect, it } from 'vitest';
import { netlink, type Route } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { openDescriptors } from './support/descriptors.js';
import { createLan } from './support/lan.js';

const DUMPS = 20;

async function collect(batches: AsyncIterable<Route[]>): Promise<Route[]> {
  const out: Route[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe('route dumps with IPv6 in a named namespace', () => {
  let nl: RouteSocket;

  beforeAll(async () => {
    const lan = await createLan();
    nl = await netlink.open({ netns: lan.client });
    return () => nl.close();
  });

  it('leave no namespace descriptor open on their reader threads', async () => {
    const before = openDescriptors().namespaces;
    for (let i = 0; i < DUMPS; i++) {
      // A route a batch: the first batch (IPv4, read on the pool) ends before the IPv6 dump begins, so the
      // dump's own reader thread makes the IPv6 socket.
      const routes = await collect(nl.routeBatches({ batchSize: 1 }));
      expect(routes.some((r) => r.family === 6)).toBe(true);
    }
    expect(openDescriptors().namespaces).toEqual(before);
  });

  it('leave none on the pool threads either (an IPv6 dump read in one batch)', async () => {
    const before = openDescriptors().namespaces;
    for (let i = 0; i < DUMPS; i++) expect(await nl.listRoutes({ family: 6 })).not.toEqual([]);
    expect(openDescriptors().namespaces).toEqual(before);
  });
});
