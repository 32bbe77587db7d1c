// redirect.follow() after an address goes away (a roam), with no tincd recorded: the sockets to the server bound
// to the address that is gone are destroyed, and only those (ss and the holders' own errors are the oracle).
import { describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { defer } from './support/cleanup.js';
import { ip } from './support/ip.js';
import { createSeed, SERVER } from './support/seed.js';
import { ssAll, sortSockets, startHolder } from './support/sockets.js';
import { waitUntil } from './support/tinc.js';

const ECONNABORTED = 103;

describe('redirect.follow after an address goes away', () => {
  it("destroys the server's sockets bound to it, and nothing else", async () => {
    const seed = await createSeed();
    await ip(seed.ns, 'addr', 'add', '192.168.1.5/24', 'dev', 'eth0');
    const log: string[] = [];
    const follower = await redirect.follow('vpn', SERVER, { netns: seed.ns, log: (line) => log.push(line) });
    defer(() => follower.close());
    const udp = (...args: string[]) => startHolder(seed.ns, ['udp', ...args]);
    const stale = await udp('192.168.1.5', '6000', SERVER, '655');
    const kept = {
      toOther: await udp('192.168.1.5', '6001', '203.0.113.7', '655'),
      fromRemaining: await udp('192.168.1.2', '6002', SERVER, '655'),
    };
    const before = await ssAll(seed.ns);

    await ip(seed.ns, 'addr', 'del', '192.168.1.5/24', 'dev', 'eth0');
    await waitUntil(
      () => stale.closed() !== undefined,
      15_000,
      () => `the stale socket stays: ${stale.running.output}\n${log.join('\n')}`,
    );
    expect(stale.closed()).toBe(`closed ${ECONNABORTED}`);
    expect(log).toContain(`vpn: closed udp 192.168.1.5:6000 -> ${SERVER}:655`);
    expect(sortSockets(await ssAll(seed.ns))).toEqual(
      sortSockets(before.filter((s) => !(s.protocol === 'udp' && s.local.port === 6000))),
    );
    for (const [name, holder] of Object.entries(kept)) expect(holder.closed(), name).toBeUndefined();
  });
});
