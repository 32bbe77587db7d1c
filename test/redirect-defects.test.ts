// Issue 11's three defects: mesh peers at adjacent addresses, IPv4-mapped IPv6 server and peer addresses, and
// the exit codes of `status`. Judged by `ip -j route` and the CLI's exit status.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { cli } from './support/cli.js';
import { ip, ipJson } from './support/ip.js';
import { createSeed, pathTo, routeText, SERVER, type Seed } from './support/seed.js';

let seed: Seed;
let before: string;

beforeEach(async () => {
  seed = await createSeed({ tun: { held: true } });
  before = await routeText(seed.ns);
});

/** Our exception routes (not through the VPN) as `dst via gw dev d`, sorted. */
async function exceptions(ns: string): Promise<string[]> {
  type Entry = { dst: string; gateway?: string; dev: string };
  const ours = await ipJson<Entry[]>(ns, '-4', 'route', 'show', 'proto', '157');
  return ours
    .filter((r) => r.dev !== 'vpn')
    .map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`)
    .sort();
}

const range = (first: number, count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => `${prefix}${first + i}`);

/** 10.64.0.0/22's addresses in order from .0.1: `count` of them. */
const inBlock = (count: number) => Array.from({ length: count }, (_, i) => `10.64.${(i + 1) >> 8}.${(i + 1) & 255}`);

describe('mesh peers at adjacent addresses', () => {
  it('50 peers in a row, next to the server, each get their exception route while the redirect is active', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    const peers = [...range(11, 50, '198.51.100.'), '198.51.100.9'];
    for (const [i, address] of peers.entries())
      await redirect.addPeer(seed.vpn, `peer${i}`, address, { netns: seed.ns });
    const wanted = [SERVER, ...peers].map((a) => `${a} via 192.168.1.1 dev eth0`).sort();
    expect(await exceptions(seed.ns)).toEqual(wanted);
    for (const address of [SERVER, peers[0], peers[25], peers[49], peers[50]]) {
      expect(await pathTo(seed.ns, address)).toBe('via 192.168.1.1 dev eth0');
    }
    // A re-plan over all of them finds every original path again, and changes nothing.
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns })).changes).toEqual([]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    for (const [i] of peers.entries()) await redirect.removePeer(seed.vpn, `peer${i}`, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('1000 peers in one /22: one up, then a re-plan that finds all of them through their neighbours', async () => {
    const peers = inBlock(1000);
    for (const [i, address] of peers.entries()) await redirect.addPeer(seed.vpn, `p${i}`, address, { netns: seed.ns });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect((await exceptions(seed.ns)).length).toBe(1001);
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns })).changes).toEqual([]);
    const added = await redirect.addPeer(seed.vpn, 'last', '10.64.3.233', { netns: seed.ns });
    expect(added.changes.map((c) => `${c.op} ${c.route.dst}`)).toEqual(['add 10.64.3.233/32']);
    expect(await pathTo(seed.ns, '10.64.3.233')).toBe('via 192.168.1.1 dev eth0');
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  }, 120_000);

  it('a user route of someone else near the peers keeps its own peers on it', async () => {
    await ip(seed.ns, 'route', 'add', '198.51.100.16/28', 'via', '192.168.1.3', 'dev', 'eth0');
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    // .16-.31 go via .3 on their own (more specific than a half): no exception is needed for them.
    for (const [i, address] of range(12, 8, '198.51.100.').entries())
      await redirect.addPeer(seed.vpn, `peer${i}`, address, { netns: seed.ns });
    expect(await exceptions(seed.ns)).toEqual(
      [SERVER, ...range(12, 4, '198.51.100.')].map((a) => `${a} via 192.168.1.1 dev eth0`).sort(),
    );
    await redirect.down(seed.vpn, { netns: seed.ns });
  });
});

describe('an IPv4-mapped IPv6 address is the IPv4 address it stands for', () => {
  it('as the server (up, status) and as a peer', async () => {
    await redirect.up(seed.vpn, `::ffff:${SERVER}`, { netns: seed.ns });
    expect(await exceptions(seed.ns)).toEqual([`${SERVER} via 192.168.1.1 dev eth0`]);
    expect(await ipJson(seed.ns, '-6', 'route', 'show', 'proto', '157')).toEqual([]);
    await redirect.addPeer(seed.vpn, 'peer', '::ffff:203.0.113.5', { netns: seed.ns });
    expect(await exceptions(seed.ns)).toEqual([
      `${SERVER} via 192.168.1.1 dev eth0`,
      '203.0.113.5 via 192.168.1.1 dev eth0',
    ]);
    expect((await redirect.status(seed.vpn, { netns: seed.ns })).remote).toBe(SERVER);
    await redirect.down(seed.vpn, { netns: seed.ns });
    await redirect.removePeer(seed.vpn, 'peer', { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('through the hook, as tincd passes REMOTEADDRESS', async () => {
    const env = { ...process.env, INTERFACE: seed.vpn, REMOTEADDRESS: `::ffff:${SERVER}`, NODE: 'server' };
    const up = await cli(['hook', 'up', '--netns', seed.ns], { env });
    expect(up.code, up.stderr).toBe(0);
    expect(await exceptions(seed.ns)).toEqual([`${SERVER} via 192.168.1.1 dev eth0`]);
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    const status = await cli(['status', seed.vpn, '--netns', seed.ns]);
    expect(status.stdout.split('\n')[0]).toBe(`vpn: active, router style, IPv4, server ${SERVER}`);
    expect((await cli(['hook', 'down', '--netns', seed.ns], { env })).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });
});

describe('status exit codes', () => {
  it('0 active and healthy, 1 problems found, 3 not active; 1 for an interface that does not exist', async () => {
    const status = (iface?: string) => cli(['status', ...(iface ? [iface] : []), '--netns', seed.ns]);
    expect((await status(seed.vpn)).code).toBe(3);
    expect((await status()).code).toBe(3);
    expect((await status('nosuch0')).code).toBe(1);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect((await status(seed.vpn)).code).toBe(0);
    expect((await status()).code).toBe(0);
    await ip(seed.ns, 'route', 'del', SERVER, 'proto', '157');
    const broken = await status(seed.vpn);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`problem: the exception route ${SERVER}/32 is missing`);
    expect((await status()).code).toBe(1);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect((await status(seed.vpn)).code).toBe(3);
  });
});
