// --lockdown with a real tincd (the end-to-end world of test/support/tinc.ts), hooks running `hook up --lockdown`
// and `hook down`: tinc's own traffic reaches its server and the tunnel carries the rest; the server's real
// address on another port gets nothing in clear; after `kill -9` of tincd (no hook runs, the tun device and the
// half-routes vanish) the firewall still refuses everything in clear, and a new tincd connects through it;
// `redirect-gateway down` leaves the ruleset exactly as before.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrivals, probe, startEcho } from './support/clear-probe.js';
import { cli, CLI } from './support/cli.js';
import { phaseSources, SENDER, startCounter } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { ruleset } from './support/server-world.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil, type TincWorld } from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7779;

describe.skipIf(skipWithout('nft'))('--lockdown with a real tincd', () => {
  it('lets tinc through, refuses the rest in clear through kill -9 and a restart; down restores the ruleset', async () => {
    const world: TincWorld = await createTincWorld(TINCD!);
    const hosts = join(world.client.confbase, 'hosts');
    const hook = (args: string) => `#!/bin/sh\nexec ${process.execPath} ${CLI} hook ${args}\n`;
    await writeFile(join(hosts, 'server-up'), hook('up --lockdown'), { mode: 0o755 });
    await writeFile(join(hosts, 'server-down'), hook('down'), { mode: 0o755 });
    const env = { PATH: process.env.PATH };
    const ns = world.ns.client;
    const before = await ruleset(ns);

    const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 120_000);
    const echo = await startEcho(world.ns.server, [9999], 120_000);
    const send = (phase: string, ms: number) =>
      netnsExec(ns, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), phase, String(ms)]);
    const sources = async (phase: string) => {
      await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
      return [...new Set(phaseSources(counter, phase))];
    };
    const throughVpn = async (phase: string) =>
      waitUntil(
        async () => {
          await send(phase, 300);
          return (await sources(phase)).includes(A.server);
        },
        20_000,
        () => `no probe came through the VPN (${phase}): ${JSON.stringify(phaseSources(counter, phase))}`,
      );

    await startTincd(TINCD!, world.server, env);
    let client = await startTincd(TINCD!, world.client, env);
    await client.waitForOutput(/^up vpn \(node server\): /m);
    await throughVpn('up');
    expect(await sources('up')).toEqual([A.server]);
    const other = await probe(ns, { proto: 'udp', address: A.server, port: 9999 }, 'server-other-port');
    expect(['EHOSTUNREACH', 'ECONNREFUSED', 'EACCES', 'EPERM']).toContain(other.outcome); // refused at once, not silent
    expect(arrivals(echo)).toEqual([]);

    await client.stop('SIGKILL');
    await send('killed', 1000);
    expect(await sources('killed')).toEqual([]);
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.stdout).toMatch(/lockdown: table inet redirect_gateway_lockdown/);
    // It holds, as a kill switch would: not active, and nothing of it a problem.
    expect([status.code, status.stdout.match(/problem: .*/g)]).toEqual([3, null]);

    client = await startTincd(TINCD!, world.client, env);
    await client.waitForOutput(/^up vpn \(node server\): /m);
    await throughVpn('back');

    await client.stop('SIGKILL');
    const down = await cli(['down', 'vpn', '--netns', ns]);
    expect(down.code, down.stderr).toBe(0);
    expect(await ruleset(ns)).toBe(before);
    await send('after', 300);
    expect(await sources('after')).toEqual([A.clientLan]);
  }, 120_000);

  // From tincd's start, before it ever reaches its server, to an explicit `down`: install-hook --lockdown writes a
  // tinc-up that arms the firewall (tinc's own port to the server let through), and tinc-down holds it.
  it('install-hook --lockdown: armed at tinc-up with the server down, held across a stop and start', async () => {
    const world: TincWorld = await createTincWorld(TINCD!);
    const ns = world.ns.client;
    const installed = await installHook(
      world.client.confbase,
      '--lockdown',
      '--address',
      `${A.clientVpn}/16`,
      '--force',
    );
    expect(installed.code, installed.stderr).toBe(0);
    expect(await readFile(join(world.client.confbase, 'tinc-up'), 'utf8')).toMatch(
      /'--lockdown'.*'--remote' '198\.51\.100\.10'/,
    );
    const before = await ruleset(ns);
    const env = { PATH: process.env.PATH };
    const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 120_000);
    const send = (phase: string, ms: number) =>
      netnsExec(ns, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), phase, String(ms)]);
    const sources = async (phase: string) => {
      await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
      return [...new Set(phaseSources(counter, phase))];
    };

    let client = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    await waitUntil(
      async () => (await ruleset(ns)) !== before,
      10_000,
      () => 'tinc-up armed no firewall',
    );
    await send('server-down', 1000);
    expect(await sources('server-down')).toEqual([]);

    await startTincd(TINCD!, world.server, env);
    const throughVpn = (phase: string) =>
      waitUntil(
        async () => {
          await send(phase, 300);
          return (await sources(phase)).includes(A.server);
        },
        30_000,
        () => `no probe came through the VPN (${phase}): ${JSON.stringify(phaseSources(counter, phase))}`,
      );
    await throughVpn('up');

    await client.stop('SIGTERM'); // tinc-down runs, as on systemctl stop
    await send('stopped', 1000);
    client = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    await throughVpn('back');
    expect((await sources('stopped')).filter((s) => s !== A.server)).toEqual([]);

    await client.stop('SIGKILL');
    const down = await cli(['down', 'vpn', '--netns', ns]);
    expect(down.code, down.stderr).toBe(0);
    expect(await ruleset(ns)).toBe(before);
  }, 120_000);
});
