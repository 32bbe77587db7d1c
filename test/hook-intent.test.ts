// A hook that cannot take the namespace's lock within its deadline (another process holds it: flock(1) here)
// gives up, but leaves what tincd told it behind; whoever takes the lock next does it: the follower, woken by it,
// or the next `up`, first (so that what the user asks for now wins over what tincd said before).
import { describe, expect, it } from 'vitest';
import { cli, startCli } from './support/cli.js';
import { holdLock, lockFile } from './support/held-lock.js';
import { ipJson } from './support/ip.js';
import { ipRouteGet } from './support/routes.js';
import { createSeedWithoutState, SERVER } from './support/seed.js';
import { waitUntil } from './support/tinc.js';

const NEW_SERVER = '198.51.100.20';
const PEER = '203.0.113.50';
const LAN_GATEWAY = '192.168.1.1';

/** The hook as tincd runs it (its environment), in the namespace `ns`. */
function hook(ns: string, event: string, env: Record<string, string>) {
  return cli(['hook', event, '--netns', ns], { env: { PATH: process.env.PATH, INTERFACE: 'vpn', ...env } });
}

async function viaLan(ns: string, address: string): Promise<boolean> {
  const r = await ipRouteGet(ns, address).catch(() => undefined); // refused (our rule) while nothing leads there
  return r?.dev === 'eth0' && r.gateway === LAN_GATEWAY;
}

async function ourDestinations(ns: string): Promise<string[]> {
  return (await ipJson<{ dst: string }[]>(ns, 'route', 'show', 'proto', '157')).map((r) => r.dst).sort();
}

describe('a hook that cannot take the lock', () => {
  it('leaves what it was told, reported by status; the follower, woken by it, does it once the lock is free', async () => {
    const { ns, key } = await createSeedWithoutState();
    expect((await cli(['up', 'vpn', SERVER, '--netns', ns])).code).toBe(0);
    const follower = startCli(['follow', 'vpn', '--netns', ns], { timeoutMs: 60_000 });
    await waitUntil(
      () => follower.stdout.includes('following'),
      15_000,
      () => `the follower did not start: ${follower.output}`,
    );
    const holder = await holdLock(lockFile(key));

    const given = await hook(ns, 'up', { REMOTEADDRESS: NEW_SERVER, REMOTEPORT: '655' });
    expect(given.code, given.stdout).toBe(1);
    expect(given.stderr).toMatch(/gave up after 800 ms/);
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`problem: pending: up ${NEW_SERVER}`);
    expect(await viaLan(ns, NEW_SERVER)).toBe(false);

    holder.child.kill('SIGKILL');
    await waitUntil(
      () => viaLan(ns, NEW_SERVER),
      15_000,
      () => `the follower did not move the exception: ${follower.output}`,
    );
    expect(await ourDestinations(ns)).toEqual(['0.0.0.0/1', '128.0.0.0/1', NEW_SERVER].sort());
    expect((await cli(['status', 'vpn', '--netns', ns])).stdout).not.toContain('pending');
    follower.child.kill('SIGTERM');
    await follower.exited;
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
  });

  it('the next `up` does what the hooks left first, and then what it is asked: the newest wins', async () => {
    const { ns, key } = await createSeedWithoutState();
    expect((await cli(['up', 'vpn', SERVER, '--netns', ns])).code).toBe(0);
    const holder = await holdLock(lockFile(key));
    expect((await hook(ns, 'host-up', { NODE: 'peer', REMOTEADDRESS: PEER })).code).toBe(1);
    expect((await hook(ns, 'up', { REMOTEADDRESS: NEW_SERVER })).code).toBe(1);
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.stdout).toContain(`problem: pending: host-up peer ${PEER}`);
    expect(status.stdout).toContain(`problem: pending: up ${NEW_SERVER}`);

    holder.child.kill('SIGKILL');
    await holder.exited;
    const up = await cli(['up', 'vpn', SERVER, '--netns', ns]);
    expect(up.code, up.stderr).toBe(0);
    expect(await ourDestinations(ns)).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER, PEER].sort());
    expect(await viaLan(ns, PEER)).toBe(true);
    expect(await viaLan(ns, NEW_SERVER)).toBe(false);
    const after = await cli(['status', 'vpn', '--netns', ns]);
    expect(after.stdout).not.toContain('pending');
    expect(after.stdout).toContain(`server ${SERVER}`);
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
  });
});
