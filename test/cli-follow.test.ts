// The follower's lifecycle through the executable: `up --follow` starts one detached follower per namespace and
// interface (reused while it runs, replaced once killed), `status` shows it, `down` ends it; and a follower
// killed at random moments never leaves the table worse than no follower would.
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli, startCliKilledAfter } from './support/cli.js';
import { ip } from './support/ip.js';
import { deleteNetns } from './support/netns.js';
import { createSeedWithoutState, pathTo, routeText, SERVER } from './support/seed.js';
import { waitUntil } from './support/tinc.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the follower when the test ends, whatever happened (it outlives the CLI that started it). */
function reap(pid: number): number {
  defer(() => (alive(pid) ? process.kill(pid, 'SIGKILL') : undefined));
  return pid;
}

async function upFollow(ns: string): Promise<{ pid: number; reused: boolean }> {
  const up = await cli(['up', 'vpn', SERVER, '--netns', ns, '--follow']);
  expect(up.code, up.stderr).toBe(0);
  const m = /^follower: pid (\d+) \((started|already running)\)$/m.exec(up.stdout);
  expect(m, up.stdout).not.toBeNull();
  return { pid: reap(Number(m![1])), reused: m![2] !== 'started' };
}

async function statusFollower(ns: string): Promise<string> {
  const status = await cli(['status', 'vpn', '--netns', ns]);
  return /^ {2}follower: (.*)$/m.exec(status.stdout)?.[1] ?? `(no follower line in ${status.stdout})`;
}

async function followerBecomes(ns: string, expected: string): Promise<void> {
  let last = '';
  await waitUntil(
    async () => (last = await statusFollower(ns)) === expected,
    15_000,
    () => `status says follower: ${last}, expected ${expected}`,
  );
}

describe('redirect-gateway up --follow', () => {
  it('one follower per interface: reused, shown by status, replaced after kill -9, ended by down', async () => {
    const { ns, clean } = await createSeedWithoutState();
    const first = await upFollow(ns);
    expect(first.reused).toBe(false);
    await followerBecomes(ns, `pid ${first.pid}`);
    const again = await upFollow(ns);
    expect(again).toEqual({ pid: first.pid, reused: true });

    // The detached follower does its work.
    await ip(ns, 'route', 'replace', 'default', 'via', '192.168.1.3', 'dev', 'eth0');
    await waitUntil(
      async () => (await pathTo(ns, SERVER)) === 'via 192.168.1.3 dev eth0',
      15_000,
      () => 'the exception did not follow the new default',
    );

    process.kill(first.pid, 'SIGKILL');
    await waitUntil(
      () => !alive(first.pid),
      10_000,
      () => 'the follower did not die',
    );
    expect(await statusFollower(ns)).toBe('none running');
    const replaced = await upFollow(ns);
    expect(replaced.reused).toBe(false);
    expect(replaced.pid).not.toBe(first.pid);
    await followerBecomes(ns, `pid ${replaced.pid}`);

    const down = await cli(['down', 'vpn', '--netns', ns]);
    expect(down.stdout).toMatch(new RegExp(`^follower: pid ${replaced.pid} ended$`, 'm'));
    await waitUntil(
      () => !alive(replaced.pid),
      10_000,
      () => 'down did not end the follower',
    );
    expect(await statusFollower(ns)).toBe('none running');
    await ip(ns, 'route', 'replace', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
    expect(await routeText(ns)).toBe(clean);
  });

  it('hook down (SERVER-down) leaves the follower running; the next hook up reuses it', async () => {
    const { ns } = await createSeedWithoutState();
    const env = { PATH: process.env.PATH, INTERFACE: 'vpn', NODE: 'server', REMOTEADDRESS: SERVER };
    const up = await cli(['hook', 'up', '--netns', ns, '--follow'], { env });
    expect(up.code, up.stderr).toBe(0);
    const pid = reap(Number(/follower: pid (\d+) \(started\)/.exec(up.stdout)![1]));
    await followerBecomes(ns, `pid ${pid}`);
    expect((await cli(['hook', 'down', '--netns', ns], { env })).code).toBe(0);
    expect(await pathTo(ns, '203.0.113.7')).toBe('via 192.168.1.1 dev eth0');
    // With no redirect, the follower keeps nothing: a new default changes nothing of ours.
    await ip(ns, 'route', 'replace', 'default', 'via', '192.168.1.3', 'dev', 'eth0');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await ip(ns, 'route', 'show', 'proto', '157')).toBe('');
    expect(alive(pid)).toBe(true);
    const back = await cli(['hook', 'up', '--netns', ns, '--follow'], { env });
    expect(back.stdout).toMatch(new RegExp(`follower: pid ${pid} \\(already running\\)`));
    expect(await pathTo(ns, SERVER)).toBe('via 192.168.1.3 dev eth0');
    await cli(['down', 'vpn', '--netns', ns]);
    await waitUntil(
      () => !alive(pid),
      10_000,
      () => 'down did not end the follower',
    );
  });

  it('a follower killed (-9) at random moments never leaves the table worse than without one', async () => {
    const { ns } = await createSeedWithoutState();
    expect((await cli(['up', 'vpn', SERVER, '--netns', ns])).code).toBe(0);
    const gateways = ['192.168.1.1', '192.168.1.3'];
    for (let round = 0; round < 8; round++) {
      const follower = startCliKilledAfter(['follow', 'vpn', '--netns', ns], 120 + Math.random() * 400);
      for (let i = 0; i < 6; i++) {
        await ip(ns, 'route', 'replace', 'default', 'via', gateways[(round + i) % 2], 'dev', 'eth0');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
      }
      await follower.exited;
      // Ours are the half-routes and one exception via one of the gateways (the old one is what no follower
      // would have left): nothing doubled, nothing through the VPN for the server.
      const ours = (await ip(ns, 'route', 'show', 'proto', '157')).replaceAll('linkdown ', '');
      expect(ours).toMatch(
        /^0\.0\.0\.0\/1 dev vpn scope link \n128\.0\.0\.0\/1 dev vpn scope link \n198\.51\.100\.10 via 192\.168\.1\.[13] dev eth0 \n$/,
      );
    }
    const next = await upFollow(ns);
    expect(next.reused).toBe(false);
    const gateway = /default via (\S+)/.exec(await ip(ns, 'route', 'show', 'default'))![1];
    expect(await pathTo(ns, SERVER)).toBe(`via ${gateway} dev eth0`);
    await cli(['down', 'vpn', '--netns', ns]);
  });
  // Its socket in the namespace would keep the namespace, and its devices, alive after `ip netns del`: the
  // client's veth pair would stay, its other end still in the router's namespace.
  it('ends when its network namespace is deleted, and the namespace goes with it', async () => {
    const { seed, ns } = await createSeedWithoutState();
    const { pid } = await upFollow(ns);
    await followerBecomes(ns, `pid ${pid}`);
    await ip(seed.router, 'link', 'show', seed.routerDev); // the pair exists
    await deleteNetns(ns);
    await waitUntil(
      () => !alive(pid),
      15_000,
      () => `the follower (pid ${pid}) outlives its namespace`,
    );
    await waitUntil(
      async () => !(await ip(seed.router, '-o', 'link', 'show').then((out) => out.includes(`${seed.routerDev}@`))),
      15_000,
      () => `the deleted namespace's veth pair is still there: its namespace lives on`,
    );
  });
});
