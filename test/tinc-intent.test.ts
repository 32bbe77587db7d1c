// A hook must never lose what tincd told it. With real tincd on both ends and the follower the hooks started
// (install-hook --follow), the follower is stopped (SIGSTOP) at a moment it holds the namespace's lock; then tincd's
// SERVER-up script runs for the server at a new address (the server moved: it has the address now), as tincd runs
// it, with its environment. The hook gives up after its 800 ms (tincd waits for it and moves no packet meanwhile),
// but what it was told is left behind: `status` reports it pending, and once the follower goes on, the exception
// route follows the new address. (Before, the resumed follower kept following the old address, and the new server
// was routed into the VPN.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { lockFile, stopWhileHolding } from './support/held-lock.js';
import { ip, ipJson } from './support/ip.js';
import { ipRouteGet } from './support/routes.js';
import { stateKey } from './support/state.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';

/** Where the server moves to: another address on its LAN. */
const NEW_SERVER = '198.51.100.20';

describe.skipIf(skipWithout('nft', 'flock'))('a hook while the follower is stopped holding the lock', () => {
  it('SERVER-up for a new server address is kept, reported, and done by the resumed follower', async () => {
    const world = await createTincWorld(TINCD!);
    const c = world.ns.client;
    expect((await installHook(world.client.confbase, '--follow')).code).toBe(0);
    await startInternetEcho(world);
    await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
    await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    defer(() => cli(['down', 'vpn', '--netns', c]));
    await waitUntil(
      async () => (await internetSource(c)) === A.server,
      30_000,
      () => 'never redirected',
    );
    let follower = 0;
    await waitUntil(
      async () =>
        (follower = Number(/follower: pid (\d+)/.exec((await cli(['status', 'vpn', '--netns', c])).stdout)?.[1])) > 0,
      15_000,
      () => 'no follower',
    );
    await ip(world.ns.server, 'address', 'add', `${NEW_SERVER}/24`, 'dev', 'eth0');

    // A policy rule that changes nothing concerns the redirect: the follower takes the lock to look.
    const key = await stateKey(c);
    const tries = await stopWhileHolding(follower, lockFile(key), (n) =>
      ip(c, 'rule', n % 2 ? 'add' : 'del', 'priority', '31000', 'from', '10.77.77.77', 'lookup', 'main'),
    );

    const hook = await runStatus(
      'ip',
      ['netns', 'exec', c, '/bin/sh', '-c', join(world.client.confbase, 'hosts', 'server-up')],
      {
        env: {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          NETNAME: '',
          NAME: 'client',
          DEVICE: '/dev/net/tun',
          INTERFACE: 'vpn',
          NODE: 'server',
          REMOTEADDRESS: NEW_SERVER,
          REMOTEPORT: '655',
        },
      },
    );
    expect(hook.code, hook.stdout).not.toBe(0);
    expect(hook.stderr).toMatch(/gave up after 800 ms/);
    const pending = await cli(['status', 'vpn', '--netns', c]);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain(`problem: pending: up ${NEW_SERVER}`);

    process.kill(follower, 'SIGCONT');
    await waitUntil(
      async () => {
        const r = await ipRouteGet(c, NEW_SERVER);
        return r.dev === 'eth0' && r.gateway === A.lanGateway;
      },
      20_000,
      () => 'the new server is not routed via the LAN gateway',
    );
    const ours = await ipJson<{ dst: string; gateway?: string; dev: string }[]>(c, 'route', 'show', 'proto', '157');
    expect(ours).toContainEqual(expect.objectContaining({ dst: NEW_SERVER, gateway: A.lanGateway, dev: 'eth0' }));
    expect(ours.map((r) => r.dst)).not.toContain(A.server);
    const after = await cli(['status', 'vpn', '--netns', c]);
    expect(after.stdout).not.toContain('pending');
    expect(after.stdout).toContain(`server ${NEW_SERVER}`);
    expect(after.stdout).toContain(`follower: pid ${follower}`);
    console.log(`the follower was stopped holding the lock at try ${tries}`);
  }, 240_000);
});
