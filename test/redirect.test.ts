// redirect.up / down through the API, in the seed's scenario and its variations, judged by iproute2.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { ip, ipJson } from './support/ip.js';
import { createLan } from './support/lan.js';
import { createSeed, pathTo, routeText, SERVER, VPN_GATEWAY, type Seed } from './support/seed.js';
import { STATE_DIR, stateFiles, stateKey } from './support/state.js';
import { createTun } from './support/tun.js';

let seed: Seed;
let before: string;

beforeEach(async () => {
  seed = await createSeed({ tun: { held: true } });
  before = await routeText(seed.ns);
});

async function ourRoutes(ns: string): Promise<{ dst: string; gateway?: string; dev: string }[]> {
  type Entry = { dst: string; gateway?: string; dev: string };
  const all = [
    ...(await ipJson<Entry[]>(ns, '-4', 'route', 'show', 'proto', '157')),
    ...(await ipJson<Entry[]>(ns, '-6', 'route', 'show', 'proto', '157')),
  ];
  return all.map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev }));
}

describe('the seed scenario', () => {
  it('router style: the server keeps its path, everything else goes through the VPN, down restores the table', async () => {
    const result = await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(result.changes.map((c) => c.op)).toEqual(['add', 'add', 'add']);
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    expect(await pathTo(seed.ns, VPN_GATEWAY)).toBe('dev vpn');
    expect(await pathTo(seed.ns, '192.168.1.77')).toBe('dev eth0');
    expect(await pathTo(seed.ns, '10.1.2.3')).toBe('dev vpn'); // in 0.0.0.0/1
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn'); // in 128.0.0.0/1
    expect(await ourRoutes(seed.ns)).toEqual([
      { dst: '0.0.0.0/1', gateway: undefined, dev: 'vpn' },
      { dst: '128.0.0.0/1', gateway: undefined, dev: 'vpn' },
      { dst: SERVER, gateway: '192.168.1.1', dev: 'eth0' },
    ]);
    // The original default route is untouched.
    expect(await ip(seed.ns, 'route', 'show', 'default')).toContain('default via 192.168.1.1 dev eth0');
    const down = await redirect.down(seed.vpn, { netns: seed.ns });
    expect(down.changes).toHaveLength(3);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('switch style: the halves go via the VPN gateway, which is on-link through the VPN subnet', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, gateway: VPN_GATEWAY });
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
    expect(await pathTo(seed.ns, '10.1.2.3')).toBe(`via ${VPN_GATEWAY} dev vpn`);
    expect((await ourRoutes(seed.ns)).map((r) => r.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('switch style without a VPN subnet adds a host route that makes the gateway reachable, and removes it', async () => {
    await ip(seed.ns, 'address', 'flush', 'dev', seed.vpn);
    before = await routeText(seed.ns);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, gateway: VPN_GATEWAY });
    expect(await ourRoutes(seed.ns)).toContainEqual({ dst: VPN_GATEWAY, gateway: undefined, dev: 'vpn' });
    expect(await pathTo(seed.ns, VPN_GATEWAY)).toBe('dev vpn');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('a second identical up changes nothing', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    const after = await routeText(seed.ns);
    const again = await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(again.changes).toEqual([]);
    expect(await routeText(seed.ns)).toBe(after);
  });

  it('an up with a new server address moves the exception route', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await redirect.up(seed.vpn, '203.0.113.9', { netns: seed.ns });
    const dsts = (await ourRoutes(seed.ns)).map((r) => r.dst);
    expect(dsts).toEqual(['0.0.0.0/1', '128.0.0.0/1', '203.0.113.9']);
    expect(await pathTo(seed.ns, '203.0.113.9')).toBe('via 192.168.1.1 dev eth0');
    expect(await pathTo(seed.ns, SERVER)).toBe('dev vpn');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('changing from router to switch style replaces the halves in place', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    const result = await redirect.up(seed.vpn, SERVER, { netns: seed.ns, gateway: VPN_GATEWAY });
    expect(result.changes.map((c) => `${c.op} ${c.route.dst}`)).toEqual(['replace 0.0.0.0/1', 'replace 128.0.0.0/1']);
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
  });

  it('after the VPN link is deleted (tincd killed), the next up redirects again without duplicates', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await ip(seed.ns, 'link', 'delete', seed.vpn);
    // The kernel dropped the half-routes with the device; the exception route stays, the LAN still works.
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('via 192.168.1.1 dev eth0');
    await createTun(seed.ns, { address: '172.16.2.2/16', held: true });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect((await ourRoutes(seed.ns)).map((r) => r.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('down with nothing to do succeeds and changes nothing', async () => {
    expect((await redirect.down(seed.vpn, { netns: seed.ns })).changes).toEqual([]);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it("down removes the routes of an up whose state file is gone (the kernel's routes are the truth)", async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await ip(seed.ns, 'route', 'flush', 'cache');
    // Only this namespace's files: other test files run at the same time, with state files of their own.
    const { rm } = await import('node:fs/promises');
    for (const f of await stateFiles(await stateKey(seed.ns))) if (f.endsWith('.json')) await rm(`${STATE_DIR}/${f}`);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });
});

describe('the path to the server', () => {
  it('with two default routes, follows the one the kernel uses (lowest metric)', async () => {
    await ip(seed.ns, 'route', 'delete', 'default');
    await ip(seed.ns, 'route', 'add', 'default', 'via', '192.168.1.1', 'metric', '100');
    await createLan({
      client: seed.ns,
      clientDev: 'eth1',
      clientAddress: '192.168.2.2/24',
      routerAddress: '192.168.2.1/24',
      clientAddress6: null,
      routerAddress6: null,
      defaultRoute: false,
    });
    await ip(seed.ns, 'route', 'add', 'default', 'via', '192.168.2.1', 'metric', '50');
    before = await routeText(seed.ns);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.2.1 dev eth1');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('through a gatewayless (point-to-point) default route, the exception route is on-link', async () => {
    await ip(seed.ns, 'route', 'delete', 'default');
    await createTun(seed.ns, { name: 'ppp0', address: '10.64.0.2', peer: '10.64.0.1' });
    await ip(seed.ns, 'route', 'add', 'default', 'dev', 'ppp0');
    before = await routeText(seed.ns);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(await ourRoutes(seed.ns)).toContainEqual({ dst: SERVER, gateway: undefined, dev: 'ppp0' });
    expect(await pathTo(seed.ns, SERVER)).toBe('dev ppp0');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('a server on the LAN needs no exception route', async () => {
    const result = await redirect.up(seed.vpn, '192.168.1.50', { netns: seed.ns });
    expect(result.changes.map((c) => c.route.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
    expect(await pathTo(seed.ns, '192.168.1.50')).toBe('dev eth0');
  });

  it("the user's own route to the server is used, and survives down", async () => {
    await ip(seed.ns, 'route', 'add', SERVER, 'via', '192.168.1.1', 'dev', 'eth0');
    before = await routeText(seed.ns);
    const result = await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(result.changes.map((c) => c.route.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it("a user's route with our exception's destination (another metric) survives down; ours goes", async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await ip(seed.ns, 'route', 'add', SERVER, 'via', '192.168.1.1', 'dev', 'eth0', 'metric', '5');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await ip(seed.ns, 'route', 'show', SERVER)).toBe(`${SERVER} via 192.168.1.1 dev eth0 metric 5 \n`);
    expect(await ourRoutes(seed.ns)).toEqual([]);
  });

  it('an IPv6 server with family both: exception and halves in both families', async () => {
    await redirect.up(seed.vpn, '2001:db8::10', { netns: seed.ns, family: 'both' });
    expect(await pathTo(seed.ns, '2001:db8::10')).toBe('via fd00:1::1 dev eth0');
    expect(await pathTo(seed.ns, '2001:db8:ffff::1')).toBe('dev vpn'); // in ::/1
    expect(await pathTo(seed.ns, 'fd00:9::1')).toBe('dev vpn'); // in 8000::/1
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    expect(await pathTo(seed.ns, '192.168.1.77')).toBe('dev eth0');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('an IPv6 server with IPv4 redirected needs no exception route', async () => {
    const result = await redirect.up(seed.vpn, '2001:db8::10', { netns: seed.ns });
    expect(result.changes.map((c) => c.route.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1']);
  });
});

describe('refusals leave the table as it was', () => {
  async function expectRefused(work: Promise<unknown>, name: string, message: RegExp): Promise<void> {
    await expect(work).rejects.toMatchObject({ name, message: expect.stringMatching(message) });
    expect(await routeText(seed.ns)).toBe(before);
  }

  it("someone else's half-route: refused, named, and what was done is undone", async () => {
    await ip(seed.ns, 'route', 'add', '128.0.0.0/1', 'via', '192.168.1.254', 'dev', 'eth0');
    before = await routeText(seed.ns);
    await expectRefused(
      redirect.up(seed.vpn, SERVER, { netns: seed.ns }),
      'RefusedError',
      /128\.0\.0\.0\/1 via 192\.168\.1\.254 dev eth0/,
    );
  });

  it('no such interface', async () => {
    await expectRefused(redirect.up('tun9', SERVER, { netns: seed.ns }), 'RefusedError', /no such interface: tun9/);
  });

  it('no route to the server', async () => {
    await ip(seed.ns, 'route', 'delete', 'default');
    before = await routeText(seed.ns);
    await expectRefused(
      redirect.up(seed.vpn, SERVER, { netns: seed.ns }),
      'RefusedError',
      /no route to the server 198\.51\.100\.10/,
    );
  });

  for (const [what, remote, options] of [
    ['a malformed address', '198.51.100', {}],
    ['a multicast server', '224.0.0.9', {}],
    ['a broadcast server', '255.255.255.255', {}],
    ['an unspecified server', '0.0.0.0', {}],
    ['a loopback server', '::1', {}],
    ['a gateway of a family that is not redirected', SERVER, { gateway: 'fd00::1' }],
    ['a multicast gateway', SERVER, { gateway: '224.0.0.1' }],
    ['an unknown family', SERVER, { family: 5 }],
  ] as const) {
    it(`invalid input: ${what}`, async () => {
      await expectRefused(
        redirect.up(seed.vpn, remote, { netns: seed.ns, ...(options as object) }),
        'InvalidInputError',
        /invalid/,
      );
    });
  }

  it('invalid input: an interface name over 15 bytes', async () => {
    await expectRefused(
      redirect.up('a-very-long-ifname', SERVER, { netns: seed.ns }),
      'InvalidInputError',
      /longer than 15 bytes/,
    );
  });
});

describe('several redirects', () => {
  // One redirect per namespace: a full tunnel is one default route, and two VPN daemons redirecting are a conflict.
  it("a second interface's up is refused, naming the first; its down leaves the first's routes alone", async () => {
    await createTun(seed.ns, { name: 'vpn6', address6: 'fd00:6::2/64' });
    before = await routeText(seed.ns);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, family: 'both' });
    const held = await routeText(seed.ns);
    const refusal = {
      name: 'RefusedError',
      message: "vpn has this namespace's redirect, and there is one per namespace: down vpn first",
    };
    await expect(redirect.up('vpn6', '2001:db8::10', { netns: seed.ns, family: 6 })).rejects.toMatchObject(refusal);
    await expect(
      redirect.arm('vpn6', '2001:db8::10', { netns: seed.ns, family: 6, killSwitch: true }),
    ).rejects.toMatchObject(refusal);
    expect(await routeText(seed.ns)).toBe(held);
    // What tinc's SERVER-down and tinc-down of a second network do: nothing of the first's goes.
    expect((await redirect.suspend('vpn6', { netns: seed.ns })).changes).toEqual([]);
    expect((await redirect.down('vpn6', { netns: seed.ns })).changes).toEqual([]);
    expect(await routeText(seed.ns)).toBe(held);
    // The same interface is reconciled as ever; once it is down, the other may redirect.
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, family: 'both' })).changes).toEqual(
      [],
    );
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
    await redirect.up('vpn6', '2001:db8::10', { netns: seed.ns, family: 6 });
    expect(await pathTo(seed.ns, '2001:db8:ffff::1')).toBe('dev vpn6');
    await redirect.down('vpn6', { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('a second interface is refused even with the same server; the mesh peers it records are kept for it', async () => {
    await createTun(seed.ns, { name: 'vpn2' });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    const held = await routeText(seed.ns);
    await expect(redirect.up('vpn2', SERVER, { netns: seed.ns })).rejects.toThrow(/^vpn has this namespace's redirect/);
    // tinc's host-up of the second network: remembered, no route while vpn2 has no redirect.
    expect((await redirect.addPeer('vpn2', 'peer1', '198.51.100.77', { netns: seed.ns })).changes).toEqual([]);
    expect(await routeText(seed.ns)).toBe(held);
    await redirect.down(seed.vpn, { netns: seed.ns });
    await redirect.up('vpn2', SERVER, { netns: seed.ns });
    expect((await ourRoutes(seed.ns)).map((r) => `${r.dst} ${r.dev}`)).toEqual([
      '0.0.0.0/1 vpn2',
      '128.0.0.0/1 vpn2',
      `${SERVER} eth0`,
      '198.51.100.77 eth0',
    ]);
    await redirect.down('vpn2', { netns: seed.ns });
    await redirect.removePeer('vpn2', 'peer1', { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('concurrent ups and downs of one interface are serialized and end in a clean state', async () => {
    const runs = [];
    for (let i = 0; i < 6; i++)
      runs.push(
        i % 2 ? redirect.down(seed.vpn, { netns: seed.ns }) : redirect.up(seed.vpn, SERVER, { netns: seed.ns }),
      );
    await Promise.all(runs);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect((await ourRoutes(seed.ns)).map((r) => r.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('the same interface name in another namespace is another redirect', async () => {
    const other = await createSeed();
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await redirect.up(other.vpn, '203.0.113.9', { netns: other.ns });
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
    expect((await ourRoutes(other.ns)).map((r) => r.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1', '203.0.113.9']);
  });
});

describe('status', () => {
  it('reports an active redirect from the kernel, and what is wrong with it', async () => {
    expect(await redirect.status(seed.vpn, { netns: seed.ns })).toMatchObject({ active: false, routes: [] });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, gateway: VPN_GATEWAY });
    const status = await redirect.status(seed.vpn, { netns: seed.ns });
    expect(status).toMatchObject({
      iface: 'vpn',
      active: true,
      remote: SERVER,
      families: [4],
      gateways: [VPN_GATEWAY],
      problems: [],
    });
    expect(status.routes.map((r) => r.dst)).toEqual(['0.0.0.0/1', '128.0.0.0/1', `${SERVER}/32`]);
    expect(await redirect.status(undefined, { netns: seed.ns })).toHaveLength(1);

    await ip(seed.ns, 'route', 'delete', '128.0.0.0/1');
    await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.254');
    const broken = await redirect.status(seed.vpn, { netns: seed.ns });
    expect(broken.active).toBe(false);
    expect(broken.problems).toEqual([
      'the half-route 128.0.0.0/1 through vpn is missing',
      `the exception route ${SERVER}/32 via 192.168.1.1 dev eth0 is stale: the default route through eth0 now goes via 192.168.1.254`,
    ]);

    await ip(seed.ns, 'link', 'delete', seed.vpn);
    expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toContain('the interface vpn is gone');
  });
});
