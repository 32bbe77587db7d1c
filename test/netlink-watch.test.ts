// RouteSocket.watch(): change events against what `ip` did, in a namespace of their own.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { InvalidInputError, type WatchEvent, type WatchOptions } from '../src/index.js';
import { newSockets, openDescriptors } from './support/descriptors.js';
import { collect, isRoute } from './support/events.js';
import { run } from './support/exec.js';
import { ip, ipBatch } from './support/ip.js';
import { waitForLink } from './support/links.js';
import { REPO } from './support/package.js';
import { createTunClient } from './support/tun-client.js';

const routeEvents = (events: WatchEvent[]) => events.filter((e) => e.type === 'route');

describe('watch', () => {
  it('reports IPv4 and IPv6 route additions and deletions exactly, as listRoutes shows the routes', async () => {
    const { lan, nl } = await createTunClient();
    const events = collect(nl.watch({ events: ['route'] }));
    await ip(lan.client, 'route', 'add', '10.9.0.0/16', 'via', '192.168.1.1', 'metric', '7');
    await ip(lan.client, '-6', 'route', 'add', '2001:db8:9::/48', 'dev', 'vpn');
    const added = await nl.listRoutes({ table: 'all' });
    const v4 = added.find((r) => r.dst === '10.9.0.0/16')!;
    const v6 = added.find((r) => r.dst === '2001:db8:9::/48')!;
    await ip(lan.client, 'route', 'del', '10.9.0.0/16');
    await ip(lan.client, '-6', 'route', 'del', '2001:db8:9::/48');
    const seen = await events.waitFor(isRoute('2001:db8:9::/48', 'delete'));
    expect(routeEvents(seen)).toEqual([
      { type: 'route', action: 'new', route: v4 },
      { type: 'route', action: 'new', route: v6 },
      { type: 'route', action: 'delete', route: v4 },
      { type: 'route', action: 'delete', route: v6 },
    ]);
    expect(v4).toMatchObject({ family: 4, gateway: '192.168.1.1', dev: 'eth0', metric: 7, protocol: 'boot' });
    expect(v6).toMatchObject({ family: 6, dev: 'vpn', metric: 1024 });
  });

  it('reports links going down and up, and addresses added and deleted', async () => {
    const { lan, nl } = await createTunClient();
    const events = collect(nl.watch({ events: ['link', 'address'] }));
    await ip(lan.client, 'addr', 'add', '10.77.0.1/24', 'dev', 'vpn');
    await ip(lan.client, 'addr', 'add', '2001:db8:77::1/64', 'dev', 'vpn', 'nodad');
    await ip(lan.client, 'addr', 'del', '10.77.0.1/24', 'dev', 'vpn');
    await ip(lan.client, 'link', 'set', 'eth0', 'down');
    await events.waitFor((e) => e.type === 'link' && !e.link.up);
    await ip(lan.client, 'link', 'set', 'eth0', 'up');
    await waitForLink(lan.client, 'eth0');
    const seen = await events.waitFor((e) => e.type === 'link' && e.link.up && e.link.lowerUp);
    const vpn = (await nl.getLink('vpn'))!;
    const addresses = seen.flatMap((e) => (e.type === 'address' && e.address.dev === 'vpn' ? [e] : []));
    expect(
      addresses.map((e) => [e.action, e.address.family, e.address.index, e.address.local, e.address.prefixlen]),
    ).toEqual([
      ['new', 4, vpn.index, '10.77.0.1', 24],
      ['new', 6, vpn.index, '2001:db8:77::1', 64],
      ['delete', 4, vpn.index, '10.77.0.1', 24],
    ]);
    // Decoded as listAddresses decodes (which is checked against ip -j addr show): the one still there is the same.
    const listed = (await nl.listAddresses({ family: 6, dev: 'vpn' })).find((a) => a.local === '2001:db8:77::1');
    expect(addresses[1].address).toEqual(listed);
    const links = seen.filter((e) => e.type === 'link');
    expect(links.every((e) => e.type === 'link' && e.action === 'new' && e.link.name === 'eth0')).toBe(true);
    const states = links.map((e) => (e.type === 'link' ? e.link.up : undefined));
    expect(states[0]).toBe(false);
    expect(states.at(-1)).toBe(true);
    expect(links.at(-1)).toEqual({ type: 'link', action: 'new', link: await nl.getLink('eth0') });
  });

  it('says nothing of the IPv4 routes the kernel flushes when a device goes down: the link event stands for it', async () => {
    const { lan, nl } = await createTunClient({ routes: ['route add 10.66.0.0/16 dev vpn'] });
    const events = collect(nl.watch({ events: ['route', 'link'], family: 4 }));
    await ip(lan.client, 'link', 'set', 'vpn', 'down');
    await events.waitFor((e) => e.type === 'link' && e.link.name === 'vpn' && !e.link.up);
    // Anything still on its way arrives before a marker change made afterwards.
    await ip(lan.client, 'route', 'add', '10.55.0.0/16', 'via', '192.168.1.1');
    const all = await events.waitFor(isRoute('10.55.0.0/16'));
    expect((await nl.listRoutes()).some((r) => r.dev === 'vpn')).toBe(false);
    expect(routeEvents(all).map((e) => e.type === 'route' && e.route.dst)).toEqual(['10.55.0.0/16']);
  });

  it('reports rules added and deleted, decoded as listRules decodes them', async () => {
    const { lan, nl } = await createTunClient();
    const events = collect(nl.watch({ events: ['rule'] }));
    await ip(lan.client, 'rule', 'add', 'priority', '5200', 'to', '198.51.100.10', 'lookup', 'main', 'proto', '157');
    await ip(lan.client, '-6', 'rule', 'add', 'priority', '5201', 'from', '2001:db8::/32', 'unreachable');
    const listed = [
      ...(await nl.listRules({ family: 4 })).filter((r) => r.priority === 5200),
      ...(await nl.listRules({ family: 6 })).filter((r) => r.priority === 5201),
    ];
    await ip(lan.client, 'rule', 'del', 'priority', '5200');
    const seen = await events.waitFor((e) => e.type === 'rule' && e.action === 'delete');
    expect(listed).toHaveLength(2);
    expect(seen).toEqual([
      { type: 'rule', action: 'new', rule: listed[0] },
      { type: 'rule', action: 'new', rule: listed[1] },
      { type: 'rule', action: 'delete', rule: listed[0] },
    ]);
  });

  it('reports an overrun when the consumer falls behind, and goes on after it', async () => {
    const { lan, nl } = await createTunClient();
    const stream = nl.watch({ events: ['route'], family: 4 });
    const lines = Array.from(
      { length: 20000 },
      (_, i) => `route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev eth0`,
    );
    await ipBatch(lan.client, lines); // nobody reads meanwhile
    await new Promise((r) => setTimeout(r, 200));
    const events = collect(stream);
    await events.waitFor((e) => e.type === 'overrun'); // reported even when no event follows the loss
    // Events may still be lost until the backlog has been read (the overrun stands for them): the probe is made
    // again until the stream, caught up, reports it.
    for (let i = 0; !events.events.some(isRoute('10.9.0.0/16')); i++) {
      if (i > 400) throw new Error('the stream never reported the probe after the overrun');
      await ip(lan.client, 'route', i % 2 ? 'del' : 'add', '10.9.0.0/16', 'via', '192.168.1.1');
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = [...events.events];
    const overrun = seen.findIndex((e) => e.type === 'overrun');
    expect(overrun).toBeGreaterThanOrEqual(0);
    expect(seen.findIndex(isRoute('10.9.0.0/16'))).toBeGreaterThan(overrun);
    // Bounded: far fewer than the 20000 changes were kept for the consumer that did not read.
    expect(routeEvents(seen).length).toBeLessThan(20000);
  });

  it('loses nothing while the consumer is busy and the kernel has room, however thinly the changes come', async () => {
    const { lan, nl } = await createTunClient();
    const events = collect(nl.watch({ events: ['route'], family: 4 }));
    // One ip process per route, so the reader thread gets them one at a time, while this event loop is
    // blocked: a hundred batches of one event wait for JS, many more than the addon queues.
    execFileSync('sh', ['-c', `for i in $(seq 0 99); do ip -n ${lan.client} route add 10.77.$i.0/24 dev eth0; done`]);
    const seen = await events.waitFor(isRoute('10.77.99.0/24'));
    expect(seen.some((e) => e.type === 'overrun')).toBe(false);
    expect(routeEvents(seen).map((e) => e.type === 'route' && e.route.dst)).toEqual(
      Array.from({ length: 100 }, (_, i) => `10.77.${i}.0/24`),
    );
  });

  it('narrowed in the kernel: a flood of uninteresting routes yields no event, an interesting one does', async () => {
    const { lan, nl } = await createTunClient();
    const stream = nl.watch({ events: ['route'] });
    expect(stream.keepRoutesFor({ addresses: ['198.51.100.10'], dev: 'vpn' })).toBe(true);
    const events = collect(stream);
    const lines = Array.from({ length: 5000 }, (_, i) => `route add 10.200.${i >> 8}.${i & 255}/32 dev eth0`);
    await ipBatch(lan.client, lines);
    await ip(lan.client, 'route', 'add', '10.202.0.0/16', 'dev', 'vpn');
    const seen = await events.waitFor(isRoute('10.202.0.0/16'));
    expect(seen.map((e) => e.type === 'route' && e.route.dst)).toEqual(['10.202.0.0/16']);
  });

  it('rejects invalid options with InvalidInputError before anything is opened', async () => {
    const { nl } = await createTunClient();
    const invalid: [WatchOptions, RegExp][] = [
      [{ events: ['neighbour' as 'route'] }, /invalid event type/],
      [{ events: [] }, /invalid events/],
      [{ family: 5 as 4 }, /invalid family/],
      [{ dev: 'vpn' } as WatchOptions, /invalid watch option: dev \(narrow route events with keepRoutesFor\)/],
    ];
    for (const [options, message] of invalid) {
      expect(() => nl.watch(options)).toThrow(InvalidInputError);
      expect(() => nl.watch(options)).toThrow(message);
    }
  });

  it('frees everything on close: a process that watches and closes exits by itself', async () => {
    const { lan } = await createTunClient();
    const script = `
      import { netlink } from ${JSON.stringify(join(REPO, 'dist/index.js'))};
      const nl = await netlink.open({ netns: ${JSON.stringify(lan.client)} });
      const events = nl.watch({ events: ['route', 'link'] });
      const reading = (async () => { for await (const e of events) console.log(e.type); })();
      setTimeout(() => { events.close(); nl.close(); }, 100);
      await reading;
      console.log('closed');
    `;
    const exit = await run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 10_000 });
    expect(exit.stdout.trim()).toBe('closed');
  });

  it("close() settles once the watch is over: a waiting next() done, the watch's socket and eventfd closed", async () => {
    const { nl } = await createTunClient();
    const before = openDescriptors();
    const events = nl.watch({ events: ['route'] });
    const own = newSockets(before); // and an eventfd that wakes its thread
    expect(own).toHaveLength(1);
    const waiting = events.next();
    await events.close();
    const after = openDescriptors();
    expect(after.sockets.filter((s) => own.includes(s))).toEqual([]);
    expect(after.eventfds).toBeLessThanOrEqual(before.eventfds);
    expect(await waiting).toEqual({ done: true, value: undefined });
    await events.close(); // again: settled at once
  });
});
