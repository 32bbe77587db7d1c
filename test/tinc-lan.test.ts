// The LAN policy with a real tincd (the world of test/support/tinc.ts), hooks running `hook up --lockdown` and
// `hook down`: a LAN network the policy keeps out goes through the tunnel. Its host answers on both sides, on the
// LAN's router (in clear) and on the server (through the tunnel); counters on each say where the client's datagrams
// arrive: through the tunnel from the client's VPN address, in clear from its LAN address. While the protection
// holds (the server's tincd stopped: SERVER-down) the LAN's routes through the VPN go and the firewall refuses that
// LAN at once, nothing in clear and nothing into a dead tunnel; with the server back they are back. `down` leaves
// routes, rules and the nft ruleset exactly as before.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probe } from './support/clear-probe.js';
import { cli, CLI } from './support/cli.js';
import { run } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { phaseSources, SENDER, startCounter } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { pathTo } from './support/seed.js';
import { kernelState } from './support/server-world.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil, type TincWorld } from './support/tinc.js';
import { skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7780;
/** Refusals the kernel reports for the firewall's ICMP administratively prohibited. */
const REFUSED = ['ECONNREFUSED', 'EHOSTUNREACH', 'EACCES', 'EPERM'];
const STRATEGIES = [
  { strategy: 'halves', flags: [] },
  { strategy: 'rules', flags: ['--strategy', 'rules'] },
];

interface LanCase {
  /** `hook up` flags: the LAN policy. */
  lan: string[];
  /** The client's address on that LAN, if the world has none there yet. */
  client?: string;
  /** The router's addresses there: its own and the LAN's host. */
  router: string[];
  /** The LAN's host, which the server answers for too. */
  host: string;
}

/** A public "LAN" (TunnelCrack LocalNet) besides the private one, on the same uplink; --lan private. */
const PUBLIC: LanCase = {
  lan: [],
  client: '203.0.113.130/25',
  router: ['203.0.113.129/25', '203.0.113.140/25'],
  host: '203.0.113.140',
};
/** The world's private LAN under --lan block. */
const BLOCKED: LanCase = { lan: ['--lan', 'block'], router: ['192.168.1.3/24'], host: '192.168.1.3' };

/** The world, the hooks, the LAN's host on both sides, a counter on each side and the client's sender. */
async function scene(lanCase: LanCase, strategy: string[]) {
  const world: TincWorld = await createTincWorld(TINCD!);
  const ns = world.ns.client;
  if (lanCase.client) await ip(ns, 'address', 'add', lanCase.client, 'dev', 'eth0');
  for (const address of lanCase.router) await ip(world.ns.router, 'address', 'add', address, 'dev', 'eth0');
  await ip(world.ns.server, 'address', 'add', `${lanCase.host}/32`, 'dev', 'lo');
  const hosts = join(world.client.confbase, 'hosts');
  const hook = (args: string[]) => `#!/bin/sh\nexec ${process.execPath} ${CLI} hook ${args.join(' ')}\n`;
  await writeFile(join(hosts, 'server-up'), hook(['up', '--lockdown', ...lanCase.lan, ...strategy]), { mode: 0o755 });
  await writeFile(join(hosts, 'server-down'), hook(['down']), { mode: 0o755 });

  const inClear = await startCounter(world.ns.router, '0.0.0.0', PORT, 150_000);
  const throughTunnel = await startCounter(world.ns.server, lanCase.host, PORT, 150_000);
  const send = (phase: string, ms: number, to = lanCase.host) =>
    netnsExec(ns, process.execPath, ['-e', SENDER, to, String(PORT), phase, String(ms)]);
  /** Where the phase's datagrams arrived, by source, once the last of them had time to. */
  const arrived = async (phase: string) => {
    await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
    const sources = (counter: typeof inClear) => [...new Set(phaseSources(counter, phase))];
    return { inClear: sources(inClear), throughTunnel: sources(throughTunnel) };
  };
  /** Sends until one arrives through the tunnel (tinc may drop the first packets while it sets up a session key). */
  const throughVpn = (phase: string) =>
    waitUntil(
      async () => {
        await send(phase, 300);
        return (await arrived(phase)).throughTunnel.length > 0;
      },
      20_000,
      () => `nothing came through the tunnel (${phase}): ${inClear.output} ${throughTunnel.output}`,
    );
  /** Our LAN routes (metric 157 among the redirect's protocol 157), as `dst dev`. */
  const lanRoutes = async () =>
    (await ipJson<{ dst: string; dev: string; metric?: number }[]>(ns, '-4', 'route', 'show', 'proto', '157'))
      .filter((r) => r.metric === 157)
      .map((r) => `${r.dst} ${r.dev}`)
      .sort();
  const settle = (what: (routes: string[]) => boolean, why: string) => {
    let last: string[] = [];
    return waitUntil(
      async () => what((last = await lanRoutes())),
      20_000,
      () => `${why}: our LAN routes are ${JSON.stringify(last)}`,
    );
  };
  return { world, ns, send, arrived, throughVpn, lanRoutes, settle };
}

describe.skipIf(skipWithout('nft'))('the LAN policy with a real tincd', () => {
  it.each(STRATEGIES)(
    '--lan private, $strategy: a public LAN reaches the server through the tunnel, none in clear; refused while held',
    async ({ flags }) => {
      const { world, ns, send, arrived, throughVpn, settle, lanRoutes } = await scene(PUBLIC, flags);
      const before = await kernelState(ns);
      const env = { PATH: process.env.PATH };

      const server = await startTincd(TINCD!, world.server, env);
      const client = await startTincd(TINCD!, world.client, env);
      await client.waitForOutput(/^up vpn \(node server\): /m);
      await throughVpn('up');
      expect(await arrived('up')).toEqual({ inClear: [], throughTunnel: [A.clientVpn] });
      expect(await pathTo(ns, PUBLIC.host)).toMatch(/(^| )dev vpn$/);

      // SERVER-down: the protection holds; the LAN's routes go, the firewall refuses that LAN at once.
      await server.stop('SIGTERM');
      await settle((r) => r.length === 0, 'after server-down');
      const held = await probe(ns, { proto: 'udp', address: PUBLIC.host, port: PORT }, 'held');
      expect(REFUSED, held.outcome).toContain(held.outcome);
      await send('held', 1000);
      expect(await arrived('held')).toEqual({ inClear: [], throughTunnel: [] });

      await startTincd(TINCD!, world.server, env);
      await run('kill', ['-ALRM', String(client.pid)]); // tinc 1.0: retry the connection now
      await settle((r) => r.length > 0, 'after the server came back');
      await throughVpn('back');
      expect(await arrived('back')).toEqual({ inClear: [], throughTunnel: [A.clientVpn] });
      expect(await lanRoutes()).toEqual([`${A.lanGateway} eth0`, '203.0.113.128/26 vpn', '203.0.113.192/26 vpn']);
      const status = await cli(['status', 'vpn', '--netns', ns, '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ active: true, problems: [] });

      await client.stop('SIGKILL'); // the tun device goes, and the LAN's routes with it: not missed then
      const killed = JSON.parse((await cli(['status', 'vpn', '--netns', ns, '--json'])).stdout);
      expect(killed.problems.filter((p: string) => p.includes('LAN route'))).toEqual([]);
      const down = await cli(['down', 'vpn', '--netns', ns]);
      expect(down.code, down.stderr).toBe(0);
      expect(await kernelState(ns)).toBe(before);
      await send('after', 300);
      expect(await arrived('after')).toEqual({ inClear: ['203.0.113.130'], throughTunnel: [] });
    },
    120_000,
  );

  it.each(STRATEGIES)(
    '--lan block, $strategy: the private LAN goes through the tunnel; the gateway and the server stay reachable',
    async ({ flags }) => {
      const { world, ns, send, arrived, throughVpn } = await scene(BLOCKED, flags);
      const before = await kernelState(ns);
      const env = { PATH: process.env.PATH };

      await startTincd(TINCD!, world.server, env);
      const client = await startTincd(TINCD!, world.client, env);
      await client.waitForOutput(/^up vpn \(node server\): /m);
      await throughVpn('up');
      expect(await arrived('up')).toEqual({ inClear: [], throughTunnel: [A.clientVpn] });
      await send('gateway', 300, A.lanGateway);
      expect((await arrived('gateway')).inClear).toEqual([A.clientLan]);

      await client.stop('SIGKILL');
      const down = await cli(['down', 'vpn', '--netns', ns]);
      expect(down.code, down.stderr).toBe(0);
      expect(await kernelState(ns)).toBe(before);
      await send('after', 300);
      expect(await arrived('after')).toEqual({ inClear: [A.clientLan], throughTunnel: [] });
    },
    120_000,
  );
});
