// The kill switch with a real tincd (the end-to-end world of test/support/tinc.ts): hooks written by the
// test run `hook up --kill-switch` and `hook down`. A bounded UDP listener on the "internet" host counts the
// probes the client sends, by the source they arrive from: through the VPN they come masqueraded as the
// server's address; in clear they would come from the client's own LAN address, and none may, neither after
// `kill -9` of tincd (no hook runs; the tun device and its routes vanish) nor while tinc reconnects
// (server-down, then server-up). tinc's own path to the server stays open throughout; `redirect-gateway down`
// restores the table exactly. With install-hook's scripts the kill switch is armed by tinc-up, before tinc first
// reaches its server, and held by tinc-down across a stop and a start of tincd.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, CLI } from './support/cli.js';
import { run } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { netnsExec } from './support/netns.js';
import { phaseSources, SENDER, startCounter, STREAM } from './support/leak-probe.js';
import { ipRouteGet } from './support/routes.js';
import {
  ADDRESSES as A,
  createTincWorld,
  NetnsProcess,
  startTincd,
  waitUntil,
  type TincDaemon,
  type TincWorld,
} from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7778;

/** The client's whole table, both families, as ip -j shows it. */
async function table(ns: string): Promise<unknown> {
  return [
    await ipJson(ns, '-4', 'route', 'show', 'table', 'all'),
    await ipJson(ns, '-6', 'route', 'show', 'table', 'all'),
  ];
}

/** Every route and every rule of the client, both families. */
async function routesAndRules(ns: string): Promise<unknown> {
  return [await table(ns), await ipJson(ns, '-4', 'rule'), await ipJson(ns, '-6', 'rule')];
}

/** Our IPv4 routes: `[type] dst [via gw] [dev d] [metric m]`, sorted. */
async function ourRoutes(ns: string): Promise<string[]> {
  type Entry = { type?: string; dst: string; gateway?: string; dev?: string; metric?: number };
  return (await ipJson<Entry[]>(ns, '-4', 'route', 'show', 'proto', '157'))
    .map((r) =>
      [r.type, r.dst, r.gateway && `via ${r.gateway}`, r.dev && `dev ${r.dev}`, r.metric && `metric ${r.metric}`]
        .filter(Boolean)
        .join(' '),
    )
    .sort();
}

/** Our IPv4 routes while the kill switch holds (tincd gone or reconnecting), and while redirected. */
const exception = `${A.server} via ${A.lanGateway} dev eth0`;
const fallback = ['unreachable 0.0.0.0/1 metric 65535', 'unreachable 128.0.0.0/1 metric 65535'];
const blocked = [exception, ...fallback].sort();
const redirected = [exception, ...fallback, '0.0.0.0/1 dev vpn', '128.0.0.0/1 dev vpn'].sort();

/** The world's daemons, our routes settling, and the probes counted at the internet host. */
async function scene(world: TincWorld) {
  const env = { PATH: process.env.PATH };
  const daemons: TincDaemon[] = [];
  const diagnostics = async () => (await Promise.all(daemons.map((d) => d.diagnostics()))).join('\n');
  const start = async (node: TincWorld['client']) => {
    const daemon = await startTincd(TINCD!, node, env);
    daemons.push(daemon);
    return daemon;
  };
  const settle = async (expected: string[], what: string) => {
    let last: string[] = [];
    await waitUntil(
      async () => JSON.stringify((last = await ourRoutes(world.ns.client))) === JSON.stringify(expected),
      20_000,
      () => `${what}: our routes are ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await diagnostics()}`);
    });
  };

  const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 120_000);
  const probe = (phase: string, ms: number) =>
    netnsExec(world.ns.client, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), phase, String(ms)]);
  const seen = (phase: string) => phaseSources(counter, phase);
  const sources = async (phase: string) => {
    await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
    return [...new Set(seen(phase))];
  };

  /** Probes until one comes through the VPN (tinc may drop the first packets while it sets up a session key). */
  const throughVpn = (phase: string) =>
    waitUntil(
      async () => {
        await probe(phase, 300);
        return (await sources(phase)).includes(A.server);
      },
      20_000,
      () => `no probe came through the VPN: ${JSON.stringify(seen(phase))}`,
    );

  return { start, settle, probe, sources, seen, counter, throughVpn };
}

describe.skipIf(skipWithout('nft'))('the kill switch with a real tincd', () => {
  it('kill -9 and a reconnect leak nothing in clear; tinc reconnects; down restores the table', async () => {
    const world: TincWorld = await createTincWorld(TINCD!);
    const hosts = join(world.client.confbase, 'hosts');
    const hook = (args: string) => `#!/bin/sh\nexec ${process.execPath} ${CLI} hook ${args}\n`;
    await writeFile(join(hosts, 'server-up'), hook('up --kill-switch'), { mode: 0o755 });
    await writeFile(join(hosts, 'server-down'), hook('down'), { mode: 0o755 });
    const { start, settle, probe, sources, counter, throughVpn } = await scene(world);

    const before = await table(world.ns.client);
    await probe('direct', 300);
    expect(await sources('direct')).toEqual([A.clientLan]); // the listener hears the client in clear

    const server = await start(world.server);
    let client = await start(world.client);
    await settle(redirected, 'after tincd started');
    // The hook's line reaches tincd's output after its routes reach the kernel.
    await client.waitForOutput(/^up vpn \(node server\): added unreachable 0\.0\.0\.0\/1 metric 65535$/m);
    await throughVpn('up');
    expect(await sources('up')).toEqual([A.server]);

    // kill -9: no hook runs; the tun device takes the halves along; the fallback and the exception stay.
    await client.stop('SIGKILL');
    await settle(blocked, 'after kill -9');
    await probe('killed', 1500);
    expect(await sources('killed')).toEqual([]);
    expect(await ipRouteGet(world.ns.client, A.server)).toMatchObject({ dev: 'eth0', gateway: A.lanGateway });
    const status = await cli(['status', 'vpn', '--netns', world.ns.client]);
    expect(status.code, status.stdout).toBe(3);

    // tincd again: redirected, one of each route; then the server goes and comes back (server-down, -up).
    client = await start(world.client);
    await settle(redirected, 'after the restart');
    await server.stop('SIGTERM');
    await settle(blocked, 'after server-down');
    await probe('reconnecting', 1500);
    expect(await sources('reconnecting')).toEqual([]);
    expect(await ipRouteGet(world.ns.client, A.server)).toMatchObject({ dev: 'eth0', gateway: A.lanGateway });
    await start(world.server);
    await run('kill', ['-ALRM', String(client.pid)]); // tinc 1.0: retry the connection now
    await settle(redirected, 'after server-up');
    await throughVpn('back');

    // A clean stop: server-down keeps the kill switch; `redirect-gateway down` lifts it, exactly.
    await client.stop('SIGTERM');
    await settle(blocked, 'after the clean stop');
    await probe('stopped', 600);
    expect(await sources('stopped')).toEqual([]);
    const down = await cli(['down', 'vpn', '--netns', world.ns.client]);
    expect(down.code, down.stderr).toBe(0);
    expect(await table(world.ns.client)).toEqual(before);
    await probe('after', 300);
    expect(await sources('after')).toEqual([A.clientLan]);
    expect(counter.output).not.toMatch(
      new RegExp(`^${A.clientLan.replace(/\./g, '\\.')} (up|killed|reconnecting|back|stopped)$`, 'm'),
    );
    expect(await ip(world.ns.client, 'route', 'show', 'proto', '157')).toBe('');
  }, 180_000);
  it('install-hook --kill-switch: armed by tinc-up with the server down, held across a restart, lifted by down', async () => {
    const world: TincWorld = await createTincWorld(TINCD!);
    const c = world.ns.client;
    const args = ['--address', `${A.clientVpn}/16`, '--kill-switch', '--force'];
    expect((await installHook(world.client.confbase, ...args)).code).toBe(0);
    const { start, settle, probe, sources, throughVpn } = await scene(world);
    const before = await routesAndRules(c);

    // tincd starts, its server down (a boot on a train): tinc-up arms the kill switch before any connection.
    let client = await start(world.client);
    await settle(blocked, 'from tinc-up');
    await probe('boot', 1000);
    expect(await sources('boot')).toEqual([]);
    const status = await cli(['status', 'vpn', '--netns', c]);
    expect(status.stdout).toContain('redirect-gateway down vpn');
    await start(world.server);
    await run('kill', ['-ALRM', String(client.pid)]); // tinc 1.0: retry the connection now
    await settle(redirected, 'after server-up');
    await throughVpn('up');

    // A stop and a start of tincd (systemctl restart): tinc-down, then tinc-up; a stream all along.
    const stream = new NetnsProcess(
      'stream',
      c,
      process.execPath,
      ['-e', STREAM, 'restart', '60000', `${A.internetHost},${PORT}`],
      {},
    );
    await stream.waitForOutput(/ready/);
    await client.stop('SIGTERM');
    await settle(blocked, 'after tinc-down');
    client = await start(world.client);
    await settle(redirected, 'after the restart');
    await throughVpn('restarted');
    await stream.stop('SIGTERM');
    expect(await sources('restart')).toEqual([A.server]); // live all along, and never in clear

    // Only `redirect-gateway down` lifts it, and leaves routes and rules exactly as before.
    await client.stop('SIGTERM');
    await settle(blocked, 'after the last tinc-down');
    await probe('stopped', 600);
    expect(await sources('stopped')).toEqual([]);
    const down = await cli(['down', 'vpn', '--netns', c]);
    expect(down.code, down.stderr).toBe(0);
    expect(await routesAndRules(c)).toEqual(before);
    await probe('after', 300);
    expect(await sources('after')).toEqual([A.clientLan]);
  }, 180_000);
});
