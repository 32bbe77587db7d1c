// A roam between two home routers on one subnet, both masquerading (test/support/nat-lan.ts), with real tincd on
// both ends and the follower the hooks start. Router A's uplink dies and the client's default moves to router B
// (as a DHCP renewal that names B does), keeping its address. tinc's meta connection went through A's NAT; with
// nothing closing it, tinc learns of its death only at its ping timeout (about a minute), then SERVER-down lets
// everything out in clear for seconds. The follower sees the path to the server move to another gateway, closes
// tincd's connections to the server and asks it to reconnect at once: the server sees the new connection come
// from router B's WAN address within seconds, long before any ping timeout.
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { ip } from './support/ip.js';
import { netnsExec } from './support/netns.js';
import { coreSource, createNatLanWorld, NAT_LAN, startCoreEcho, type NatLanWorld } from './support/nat-lan.js';
import { startTincd, waitUntil } from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

/** The remote addresses of the server's established meta connections (TCP to its port 655). */
async function metaPeers(world: NatLanWorld): Promise<string[]> {
  const { stdout } = await netnsExec(world.ns.server, 'ss', ['-Htn', 'state', 'established', 'sport', ':655']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, ''));
}

async function roamThroughAnotherNat(strategyFlags: string[]): Promise<void> {
  const world = await createNatLanWorld(TINCD!);
  const c = world.ns.client;
  expect((await installHook(world.client.confbase, '--follow', ...strategyFlags)).code).toBe(0);
  await startCoreEcho(world);
  await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
  const client = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
  defer(() => cli(['down', 'vpn', '--netns', c]));
  await waitUntil(
    async () => (await coreSource(world)) === NAT_LAN.server,
    30_000,
    () => 'never redirected',
  );
  await waitUntil(
    async () => (await cli(['status', 'vpn', '--netns', c])).stdout.includes('follower: pid'),
    15_000,
    () => 'no follower',
  );
  expect(await metaPeers(world)).toEqual([NAT_LAN.wanA]);

  // Router A's uplink dies; the client's default moves to router B, its own address unchanged.
  const roamed = performance.now();
  await ip(world.ns.routerA, 'link', 'set', 'wan0', 'down');
  await ip(c, 'route', 'replace', 'default', 'via', NAT_LAN.routerB, 'dev', 'eth0');

  // A ping timeout would take about a minute: 20 s is far from it, and far from the few seconds wanted.
  let peers: string[] = [];
  await waitUntil(
    async () => (peers = await metaPeers(world)).includes(NAT_LAN.wanB),
    20_000,
    () => `no meta connection through router B: the server's are from ${peers.join(', ') || 'nobody'}`,
  );
  const reconnected = Math.round(performance.now() - roamed);
  await waitUntil(
    async () => (await coreSource(world)) === NAT_LAN.server,
    10_000,
    () => 'no traffic after roam',
  );
  console.log(
    `roam through another NAT (${strategyFlags.join(' ') || 'halves'}): meta connection through B after ${reconnected} ms`,
  );
  expect(await client.log()).not.toMatch(/Timeout from server/);
}

describe.skipIf(skipWithout('nft', 'ss'))('a roam to another NAT on the same subnet, real tincd', () => {
  it('halves: the follower closes the meta connection through the dead NAT; tinc reconnects at once', async () => {
    await roamThroughAnotherNat([]);
  }, 120_000);

  it('rules: the same', async () => {
    await roamThroughAnotherNat(['--strategy', 'rules']);
  }, 120_000);
});
