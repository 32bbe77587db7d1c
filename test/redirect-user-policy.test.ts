// The user's own policy around the server's address: a rule that sends it to another table (a multi-uplink
// setup), a rule or a route that refuses it. Judged by iproute2: what main and the other table hold after.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { foldPeers } from '../src/redirect/index.js';
import { ip } from './support/ip.js';
import { ourRouteLines } from './support/reliability-tools.js';
import { createSeed, routeText, SERVER, type Seed } from './support/seed.js';

let seed: Seed;
let clean: string;

beforeEach(async () => {
  seed = await createSeed({ tun: { held: true } });
  clean = await routeText(seed.ns);
});

const table200 = () => ip(seed.ns, 'route', 'show', 'table', '200');

describe("a rule of the user's for the server's address", () => {
  it('to SERVER lookup 200 (another uplink table): up twice, then down leaves main and table 200 as they were', async () => {
    await ip(seed.ns, 'route', 'add', 'default', 'via', '192.168.1.1', 'dev', 'eth0', 'table', '200');
    await ip(seed.ns, 'rule', 'add', 'to', SERVER, 'lookup', '200');
    const other = await table200();
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect(await ourRouteLines(seed.ns)).toEqual(['0.0.0.0/1 dev vpn', '128.0.0.0/1 dev vpn']);
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns })).changes).toEqual([]);
    const status = await redirect.status(seed.vpn, { netns: seed.ns });
    expect(status.problems).toEqual([]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(clean);
    expect(await table200()).toBe(other);
  });

  it('to SERVER lookup 200 added after up: the next up and down still know our exception route', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await ip(seed.ns, 'route', 'add', 'default', 'via', '192.168.1.1', 'dev', 'eth0', 'table', '200');
    await ip(seed.ns, 'rule', 'add', 'to', SERVER, 'lookup', '200');
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(clean);
  });

  it('to SERVER unreachable: up is refused as for no route to the server, and nothing changes', async () => {
    await ip(seed.ns, 'rule', 'add', 'to', SERVER, 'unreachable');
    await expect(redirect.up(seed.vpn, SERVER, { netns: seed.ns })).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(/^no route to the server 198\.51\.100\.10 /),
    });
    expect(await routeText(seed.ns)).toBe(clean);
  });

  it('to SERVER unreachable added after up: down removes the exception route all the same', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await ip(seed.ns, 'rule', 'add', 'to', SERVER, 'unreachable');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(clean);
  });
});

describe("a route of the user's that refuses the server's traffic", () => {
  for (const type of ['blackhole', 'unreachable', 'prohibit'] as const) {
    for (const dst of [SERVER, '198.51.100.0/24']) {
      it(`${type} ${dst}: up is refused as for no route to the server; nothing changes`, async () => {
        await ip(seed.ns, 'route', 'add', type, dst);
        const before = await routeText(seed.ns);
        await expect(redirect.up(seed.vpn, SERVER, { netns: seed.ns })).rejects.toMatchObject({
          name: 'RefusedError',
          message: expect.stringMatching(/^no route to the server 198\.51\.100\.10 /),
        });
        expect(await routeText(seed.ns)).toBe(before);
      });
    }
  }

  it("a mesh peer's address behind a blackhole gets no exception; the server's redirect stands", async () => {
    await ip(seed.ns, 'route', 'add', 'blackhole', '203.0.113.0/24');
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await expect(redirect.addPeer(seed.vpn, 'peer1', '203.0.113.7', { netns: seed.ns })).rejects.toMatchObject({
      name: 'RefusedError',
    });
    expect(await ip(seed.ns, 'route', 'show', '203.0.113.7/32')).toBe('');
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns })).changes).toEqual([]);
    await redirect.down(seed.vpn, { netns: seed.ns });
  });
});

describe('a mesh peer that cannot bypass the VPN (its address inside the VPN subnet)', () => {
  const INSIDE = '10.10.0.7';

  beforeEach(async () => {
    await ip(seed.ns, 'address', 'add', '10.10.0.2/24', 'dev', seed.vpn);
    clean = await routeText(seed.ns);
  });

  it("host-up of it is refused and not recorded: the server's redirect goes on as before", async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    await expect(redirect.addPeer(seed.vpn, 'inside', INSIDE, { netns: seed.ns })).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(/^the peer 10\.10\.0\.7 is routed through vpn itself/),
    });
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns })).changes).toEqual([]);
    await redirect.addPeer(seed.vpn, 'good', '203.0.113.7', { netns: seed.ns });
    expect(await ip(seed.ns, 'route', 'show', '203.0.113.7/32')).toContain('via 192.168.1.1 dev eth0');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(clean);
  });

  it('folded in with another peer (the follower handoff): the other gets its route, up and down still work', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    const events = new Map([
      ['inside', INSIDE],
      ['good', '203.0.113.7'],
    ]);
    await foldPeers(seed.vpn, () => events, { netns: seed.ns });
    expect(await ip(seed.ns, 'route', 'show', '203.0.113.7/32')).toContain('via 192.168.1.1 dev eth0');
    expect(await ip(seed.ns, 'route', 'show', `${INSIDE}/32`)).toBe('');
    await redirect.up(seed.vpn, '203.0.113.9', { netns: seed.ns });
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(clean);
  });
});
