// The follower with a real tincd (test/support/tinc.ts's world; the client's scripts written by install-hook
// --follow): after a roam (the LAN's gateway changes: a new gateway address appears, main's default moves to it,
// the old one goes) and after an uplink flap (admin down flushes eth0's IPv4 routes; up, and the default put
// back), the exception route follows and UDP through the VPN flows again. The times seen are printed, never
// asserted (deadlines are generous: the machine is loaded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { ip } from './support/ip.js';
import { netnsExec } from './support/netns.js';
import { waitForLink } from './support/links.js';
import { ipRouteGet } from './support/routes.js';
import { stateFiles, stateKey, STATE_DIR } from './support/state.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';

const NEW_GATEWAY = '192.168.1.254';

/** How long (ms) until `condition` holds, polled; fails after the deadline. */
async function timeUntil(from: number, condition: () => Promise<boolean>, what: string): Promise<number> {
  await waitUntil(condition, 60_000, () => `${what}: not within 60 s`);
  return Math.round(performance.now() - from);
}

/** Whether the server goes via `gateway`; while no path outside the VPN leads to it, it is refused (our rule). */
async function exceptionVia(ns: string, gateway: string): Promise<boolean> {
  const r = await ipRouteGet(ns, A.server).catch(() => undefined);
  return r?.dev === 'eth0' && r.gateway === gateway;
}

describe.skipIf(skipWithout('nft'))('the follower with a real tincd', () => {
  it('roam and uplink flap: the exception follows and traffic flows through the VPN again', async () => {
    const world = await createTincWorld(TINCD!);
    const c = world.ns.client;
    const installed = await installHook(world.client.confbase, '--follow');
    expect(readFileSync(join(world.client.confbase, 'hosts', 'server-up'), 'utf8')).toMatch(/'up' '--follow'\n$/);
    expect(installed.code).toBe(0);
    await startInternetEcho(world);
    const env = { PATH: process.env.PATH };
    await startTincd(TINCD!, world.server, env);
    const client = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    await waitUntil(
      async () => (await internetSource(c)) === A.server,
      30_000,
      () => 'never redirected',
    );

    // The follower the hook started, detached, with tincd's pid beside its own.
    const key = await stateKey(c);
    let info: { pid: number; tincd?: number } | undefined;
    await waitUntil(
      async () => {
        const file = (await stateFiles(key)).find((n) => n.endsWith('_vpn.follower'));
        info = file ? JSON.parse(readFileSync(`${STATE_DIR}/${file}`, 'utf8') || '{}') : undefined;
        return !!info?.pid;
      },
      15_000,
      () => 'no follower',
    );
    defer(() => {
      try {
        process.kill(info!.pid, 'SIGKILL');
      } catch {
        // ended already
      }
    });
    expect(info!.tincd).toBe(client.pid);
    expect((await cli(['status', 'vpn', '--netns', c])).stdout).toContain(`follower: pid ${info!.pid}`);

    // Roam: a new gateway, main's default moved to it, the old gateway gone (the new address, a secondary, is
    // promoted rather than deleted with the primary).
    await netnsExec(world.ns.router, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    await ip(world.ns.router, 'address', 'add', `${NEW_GATEWAY}/24`, 'dev', 'eth0');
    const roamed = performance.now();
    await ip(c, 'route', 'replace', 'default', 'via', NEW_GATEWAY, 'dev', 'eth0');
    await ip(world.ns.router, 'address', 'del', `${A.lanGateway}/24`, 'dev', 'eth0');
    const roamRoute = await timeUntil(roamed, () => exceptionVia(c, NEW_GATEWAY), 'roam: the exception');
    const roamTraffic = await timeUntil(roamed, async () => (await internetSource(c)) === A.server, 'roam: traffic');

    // Uplink flap: down (the kernel flushes eth0's IPv4 routes, ours too), up, the default put back.
    const flapped = performance.now();
    await ip(c, 'link', 'set', 'dev', 'eth0', 'down');
    await ip(c, 'link', 'set', 'dev', 'eth0', 'up');
    await waitForLink(c, 'eth0');
    await ip(c, 'route', 'replace', 'default', 'via', NEW_GATEWAY, 'dev', 'eth0');
    const flapRoute = await timeUntil(flapped, () => exceptionVia(c, NEW_GATEWAY), 'flap: the exception');
    const flapTraffic = await timeUntil(flapped, async () => (await internetSource(c)) === A.server, 'flap: traffic');
    console.log(
      `follower with tincd: roam: exception after ${roamRoute} ms, VPN traffic after ${roamTraffic} ms; ` +
        `flap (from link down): exception after ${flapRoute} ms, VPN traffic after ${flapTraffic} ms`,
    );

    // Someone deletes our exception route: it comes back.
    await ip(c, 'route', 'del', `${A.server}/32`);
    await timeUntil(performance.now(), () => exceptionVia(c, NEW_GATEWAY), 'the deleted exception');

    // down ends the follower (tincd's own down script does not).
    await client.stop('SIGTERM');
    await cli(['down', 'vpn', '--netns', c]);
    expect((await cli(['status', 'vpn', '--netns', c])).stdout).toContain('follower: none running');
  }, 240_000);
});
