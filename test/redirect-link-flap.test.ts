// A link flap under `halves`: the kernel flushes the exception route (the server's /32 via the LAN's gateway)
// with the uplink's routes, and until a new lease the server's packets matched 0.0.0.0/1 through the VPN itself.
// With no path outside the VPN the server must be refused, never routed into the tunnel. Judged by the kernel's
// own lookup (`ip route get`) and by `ip -j` of every table and rule, both families.
import { describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { cli, upFollowed } from './support/cli.js';
import { ip } from './support/ip.js';
import { createSeedWithoutState, pathTo, SERVER } from './support/seed.js';
import { waitUntil } from './support/tinc.js';

/** Every route of every table and every rule, both families: what "exactly as before" compares. */
async function tables(ns: string): Promise<string> {
  const parts = [];
  for (const family of ['-4', '-6']) {
    parts.push(await ip(ns, '-j', family, 'route', 'show', 'table', 'all'));
    parts.push(await ip(ns, '-j', family, 'rule', 'show'));
  }
  return parts.join('\n');
}

/** The uplink down and up, then its default routes back, as a DHCP client puts them after the new lease. */
async function flap(ns: string): Promise<void> {
  await ip(ns, 'link', 'set', 'eth0', 'down');
  await ip(ns, 'link', 'set', 'eth0', 'up');
  await ip(ns, 'address', 'replace', 'fd00:1::2/64', 'dev', 'eth0', 'nodad');
  await ip(ns, 'route', 'replace', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
  await ip(ns, '-6', 'route', 'replace', 'default', 'via', 'fd00:1::1', 'dev', 'eth0');
  // The kernel adds the addresses' local routes from a work queue: the tables are compared once they are there.
  await waitUntil(
    async () =>
      /local fd00:1::2 [^]*local fe80::/.test(await ip(ns, '-6', 'route', 'show', 'table', 'local', 'dev', 'eth0')),
    5_000,
    () => 'the local routes of eth0 never came back',
  );
}

/** Where the kernel sends the server's packets: a path, or the refusal it answers with. */
async function serverPath(ns: string): Promise<string> {
  return pathTo(ns, SERVER).catch((e: Error) => `refused: ${/RTNETLINK answers: (.*)/.exec(e.message)?.[1]}`);
}

describe('a link flap under halves', () => {
  it('the exception flushed: the server is refused until a path is back, never routed into the tunnel', async () => {
    const { ns } = await createSeedWithoutState('client', { held: true });
    await flap(ns); // what the kernel loses in a flap is lost before the reference is taken
    const clean = await tables(ns);
    await redirect.up('vpn', SERVER, { netns: ns });
    expect(await serverPath(ns)).toBe('via 192.168.1.1 dev eth0');
    await ip(ns, 'link', 'set', 'eth0', 'down');
    expect(await ip(ns, 'route', 'show', `${SERVER}/32`)).toBe('');
    expect(await serverPath(ns)).toBe('refused: Network is unreachable');
    await ip(ns, 'link', 'set', 'eth0', 'up');
    expect(await serverPath(ns)).toBe('refused: Network is unreachable');
    const status = await redirect.status('vpn', { netns: ns });
    expect(status.problems.join('\n')).toContain(`the server ${SERVER} has no path outside the VPN`);
    await flap(ns);
    // What the follower (or tinc's next SERVER-up) does on the new lease: the exception is found past the refusal.
    await redirect.up('vpn', SERVER, { netns: ns });
    expect(await serverPath(ns)).toBe('via 192.168.1.1 dev eth0');
    expect((await redirect.status('vpn', { netns: ns })).problems).toEqual([]);
    await redirect.down('vpn', { netns: ns });
    expect(await tables(ns)).toBe(clean);
  });
});

describe("the follower killed while a user's route covers the server", () => {
  it('the covering route gone: the server is refused, not looped, and status says so; down leaves all as before', async () => {
    const { ns } = await createSeedWithoutState();
    const clean = await tables(ns);
    const pid = await upFollowed('vpn', SERVER, ns);
    await ip(ns, 'route', 'add', '198.51.100.0/24', 'via', '192.168.1.3', 'dev', 'eth0');
    await waitUntil(
      async () => (await ip(ns, 'route', 'show', `${SERVER}/32`)) === '',
      15_000,
      () => 'the follower never took the exception route away',
    );
    // Our refusal stands behind the user's route, never before it.
    expect(await serverPath(ns)).toBe('via 192.168.1.3 dev eth0');
    process.kill(pid, 'SIGKILL');
    await waitUntil(
      async () => (await cli(['status', 'vpn', '--netns', ns])).stdout.includes(`follower (pid ${pid}) died`),
      10_000,
      () => 'the follower did not die',
    );
    await ip(ns, 'route', 'del', '198.51.100.0/24', 'via', '192.168.1.3', 'dev', 'eth0');
    expect(await serverPath(ns)).toBe('refused: Network is unreachable');
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.code, status.stdout).not.toBe(0);
    expect(status.stdout).not.toContain('routed through vpn itself');
    expect(status.stdout).toContain(`the server ${SERVER} has no path outside the VPN`);
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    expect(await tables(ns)).toBe(clean);
  });
});
