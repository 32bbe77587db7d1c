// Concurrency: `up` and `down` of one interface from many processes at once end in a correct state without
// duplicates; a lock whose holder was killed is no obstacle (flock: the kernel releases it with the holder);
// of two interfaces in one namespace the second's `up` is refused (one redirect per namespace), whatever the
// interleaving; the same interface name in two namespaces is two redirects.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { addon } from '../src/netlink/native.js';
import { CLI, cli } from './support/cli.js';
import { type Exit, start } from './support/exec.js';
import { REPO, tempDir } from './support/package.js';
import { duplicates, ourRouteLines, Prng, runSeed } from './support/reliability-tools.js';
import { createSeedWithoutState, routeText, SERVER } from './support/seed.js';
import { WALL_CLOCK_BOUNDS_OFF } from './support/sanitizer.js';
import { STATE_DIR } from './support/state.js';
import { NETLINK_SEND, startCliInjected } from './support/strace-inject.js';
import { createTun } from './support/tun.js';

const OTHER_SERVER = '203.0.113.20';
const SERVER6 = '2001:db8:100::10';
const v4Routes = (server: string, dev = 'vpn') =>
  [`${server} via 192.168.1.1 dev eth0`, `0.0.0.0/1 dev ${dev}`, `128.0.0.0/1 dev ${dev}`].sort();
const v6Routes = (dev: string) =>
  [
    `${SERVER6} via fd00:1::1 dev eth0 metric 1024`,
    `::/1 dev ${dev} metric 1024`,
    `8000::/1 dev ${dev} metric 1024`,
  ].sort();

function expectAllOk(exits: Exit[], what: string): void {
  for (const e of exits) {
    expect(e.timedOut, `${what}: a process hung`).toBe(false);
    expect(e.code, `${what}: ${e.stderr}`).toBe(0);
  }
}

describe('one interface, many processes', () => {
  it('8 ups at once: exactly one makes the routes, the others find nothing to do; 8 downs likewise', async () => {
    const { seed, clean } = await createSeedWithoutState('many');
    const ups = await Promise.all(Array.from({ length: 8 }, () => cli(['up', 'vpn', SERVER, '--netns', seed.ns])));
    expectAllOk(ups, 'up');
    expect(ups.filter((u) => u.stdout.startsWith('added ')).length, ups.map((u) => u.stdout).join('|')).toBe(1);
    expect(ups.filter((u) => u.stdout === 'vpn: already redirected, nothing changed\n').length).toBe(7);
    expect(await ourRouteLines(seed.ns)).toEqual(v4Routes(SERVER));

    const downs = await Promise.all(Array.from({ length: 8 }, () => cli(['down', 'vpn', '--netns', seed.ns])));
    expectAllOk(downs, 'down');
    expect(downs.filter((d) => d.stdout.startsWith('deleted ')).length, downs.map((d) => d.stdout).join('|')).toBe(1);
    expect(await routeText(seed.ns)).toBe(clean);
  }, 60_000);

  it('rounds of 6 random ups (two servers) and downs at once: each round ends redirected once or not at all', async () => {
    const { seed, clean } = await createSeedWithoutState('mixed', { held: true });
    const prng = new Prng(runSeed());
    const commands = [
      { name: `up ${SERVER}`, args: ['up', 'vpn', SERVER, '--netns', seed.ns] },
      { name: `up ${OTHER_SERVER}`, args: ['up', 'vpn', OTHER_SERVER, '--netns', seed.ns] },
      { name: 'down', args: ['down', 'vpn', '--netns', seed.ns] },
    ];
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 6; round++) {
      const batch = Array.from({ length: 6 }, () => prng.pick(commands));
      const what = `round ${round} (${batch.map((c) => c.name).join(', ')}; seed ${prng.seed})`;
      expectAllOk(await Promise.all(batch.map((c) => cli(c.args))), what);
      const routes = await ourRouteLines(seed.ns);
      expect(duplicates(routes), what).toEqual([]);
      const outcome =
        routes.length === 0
          ? 'down'
          : JSON.stringify(routes) === JSON.stringify(v4Routes(SERVER))
            ? SERVER
            : OTHER_SERVER;
      if (outcome === OTHER_SERVER) expect(routes, what).toEqual(v4Routes(OTHER_SERVER));
      if (outcome === 'down') expect(await routeText(seed.ns), what).toBe(clean);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // What status says (from the state file and the kernel) agrees with the kernel.
      const status = JSON.parse((await cli(['status', 'vpn', '--netns', seed.ns, '--json'])).stdout);
      expect(status.active, what).toBe(outcome !== 'down');
      if (outcome !== 'down') expect(status.remote, what).toBe(outcome);
      if (outcome !== 'down') expect(status.problems, what).toEqual([]);
    }
    console.log(
      `concurrent up/down: 6 rounds of 6 processes (seed ${prng.seed}): ended ${[...outcomes].map(([k, v]) => `${v}x ${k}`).join(', ')}`,
    );
    expectAllOk([await cli(['down', 'vpn', '--netns', seed.ns])], 'the last down');
    expect(await routeText(seed.ns)).toBe(clean);
  }, 90_000);
});

describe('a lock whose holder was killed', () => {
  /** A process that takes the lock of the namespace `ns` with the addon's tryLock, says so, and sleeps. */
  async function lockHolder(ns: string): Promise<{ exit: Promise<Exit>; kill(): void; path: string }> {
    const dir = await tempDir('holder');
    const script = join(dir, 'hold.mjs');
    const url = (p: string) => JSON.stringify(pathToFileURL(join(REPO, p)).href);
    await writeFile(
      script,
      `
      import { netlink } from ${url('dist/index.js')};
      import { addon } from ${url('dist/netlink/native.js')};
      import { ensureStateDir, lockPath, namespaceKey } from ${url('dist/store/index.js')};
      await ensureStateDir();
      const nl = await netlink.open({ netns: ${JSON.stringify(ns)} });
      const path = lockPath(namespaceKey(nl));
      nl.close();
      const fd = addon.tryLock(path);
      console.log(fd >= 0 ? 'locked ' + path : 'busy');
      setInterval(() => {}, 1000);
    `,
    );
    const holder = start(process.execPath, [script], { timeoutMs: 60_000 });
    const line = await new Promise<string>((resolve) => {
      let text = '';
      holder.child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(text.trim());
      });
    });
    expect(line).toMatch(/^locked \//);
    return { exit: holder.exit, kill: () => holder.child.kill('SIGKILL'), path: line.slice('locked '.length) };
  }

  // Bounds the time from the kill to the end of a whole `up` run (2 s): under ASan (scripts/test-asan) the run
  // itself, started 600 ms before the kill, can still be in node's start-up then, and take longer than that.
  it.skipIf(WALL_CLOCK_BOUNDS_OFF)(
    'up waits for a live holder and goes on at once when the kernel drops the lock of a SIGKILLed one',
    async () => {
      const { seed, clean } = await createSeedWithoutState('holder');
      const holder = await lockHolder(seed.ns);
      // The lock is really held: this process cannot take it either.
      expect(addon.tryLock(holder.path)).toBe(-1);
      const up = start(process.execPath, [CLI, 'up', 'vpn', SERVER, '--netns', seed.ns], { timeoutMs: 20_000 });
      await new Promise((r) => setTimeout(r, 600));
      expect(up.child.exitCode, 'up finished while another process held the lock').toBeNull();
      expect(await routeText(seed.ns)).toBe(clean);
      const killedAt = performance.now();
      holder.kill();
      expect((await holder.exit).signal).toBe('SIGKILL');
      const exit = await up.exit;
      const after = performance.now() - killedAt;
      expect(exit.code, exit.stderr).toBe(0);
      expect(after, 'up went on promptly after the kill (it polls every 2 ms)').toBeLessThan(2000);
      expect(await ourRouteLines(seed.ns)).toEqual(v4Routes(SERVER));
      expectAllOk([await cli(['down', 'vpn', '--netns', seed.ns])], 'down');
      expect(await routeText(seed.ns)).toBe(clean);
      console.log(`lock of a SIGKILLed holder: up went on ${after.toFixed(0)} ms after the kill`);
    },
    30_000,
  );

  it('an up SIGKILLed while it holds the lock (stopped in its first netlink request) leaves no obstacle', async () => {
    const { seed, clean, key } = await createSeedWithoutState('killed-up');
    // strace holds up's first netlink send for 5 s: by then it has taken the lock.
    const traced = startCliInjected(
      NETLINK_SEND,
      'delay_enter=5000000:when=1',
      ['up', 'vpn', SERVER, '--netns', seed.ns],
      {
        timeoutMs: 30_000,
      },
    );
    const lock = `${STATE_DIR}/${key}_.lock`;
    let held = false;
    for (let i = 0; i < 300 && !held; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const fd = (() => {
        try {
          return addon.tryLock(lock);
        } catch {
          return -2; // not there yet
        }
      })();
      if (fd >= 0) addon.unlock(fd);
      held = fd === -1;
    }
    expect(held, 'the traced up took the lock').toBe(true);
    // Kill up itself (strace's child), not strace.
    const { readFile } = await import('node:fs/promises');
    const child = Number(
      (await readFile(`/proc/${traced.child.pid}/task/${traced.child.pid}/children`, 'utf8')).trim().split(/\s+/)[0],
    );
    expect(child).toBeGreaterThan(0);
    process.kill(child, 'SIGKILL');
    await traced.exit;
    const freedAt = performance.now();
    let fd = -1;
    while (fd < 0 && performance.now() - freedAt < 1000) {
      fd = addon.tryLock(lock);
      if (fd < 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(fd, 'the kernel released the lock with its holder').toBeGreaterThanOrEqual(0);
    addon.unlock(fd);
    const down = await cli(['down', 'vpn', '--netns', seed.ns]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.ms).toBeLessThan(3000);
    expect(await routeText(seed.ns)).toBe(clean);
    const up = await cli(['up', 'vpn', SERVER, '--netns', seed.ns]);
    expect(up.code, up.stderr).toBe(0);
    expect(await ourRouteLines(seed.ns)).toEqual(v4Routes(SERVER));
    expectAllOk([await cli(['down', 'vpn', '--netns', seed.ns])], 'down');
    expect(await routeText(seed.ns)).toBe(clean);
  }, 40_000);
});

describe('two interfaces at once', () => {
  const REFUSAL = /^(vpn6?) has this namespace's redirect, and there is one per namespace: down \1 first$/;

  // In one process through the API (the lock is flock: two opens of it exclude each other even in one process),
  // with the second call started 0 to 20 ms after the first, in 0.25 ms steps: every interleaving of two short
  // operations comes up. The refusal is decided under the namespace's lock: whichever runs first, the table ends
  // with one redirect's routes or none, never a mix.
  it("up of one interface and down of another, interleaved every way: refused while the other's stands", async () => {
    const { seed } = await createSeedWithoutState('interleave');
    await createTun(seed.ns, { name: 'vpn6', address6: 'fd00:6::2/64' });
    const ns = seed.ns;
    const clean = await routeText(ns);
    const after = (ms: number, work: () => Promise<unknown>) => new Promise((r) => setTimeout(r, ms)).then(work);
    const wrong: string[] = [];
    /** The routes `up` leaves: its own when it was made, none when refused (the other's down followed). */
    const judge = async (what: string, outcome: PromiseSettledResult<unknown>, made: string[]) => {
      const routes = await ourRouteLines(ns);
      const refused = outcome.status === 'rejected' ? (outcome.reason as Error).message : undefined;
      if (refused !== undefined && !REFUSAL.test(refused)) wrong.push(`${what}: ${refused}`);
      const want = refused === undefined ? made : [];
      if (JSON.stringify(routes) !== JSON.stringify(want)) wrong.push(`${what}: ${routes.join(', ')}`);
    };
    // One after the other the refusal is certain; interleaved, it depends on which takes the lock first.
    await redirect.up('vpn', SERVER, { netns: ns });
    await expect(redirect.up('vpn6', SERVER6, { netns: ns, family: 6 })).rejects.toThrow(REFUSAL);
    expect(await ourRouteLines(ns)).toEqual(v4Routes(SERVER));
    for (let step = 0; step <= 80; step++) {
      const delay = step * 0.25;
      await redirect.up('vpn', SERVER, { netns: ns });
      const [six] = await Promise.allSettled([
        redirect.up('vpn6', SERVER6, { netns: ns, family: 6 }),
        after(delay, () => redirect.down('vpn', { netns: ns })),
      ]);
      await judge(`up vpn6 | ${delay} ms | down vpn`, six, v6Routes('vpn6'));
      await redirect.up('vpn6', SERVER6, { netns: ns, family: 6 });
      const [four] = await Promise.allSettled([
        redirect.up('vpn', SERVER, { netns: ns }),
        after(delay, () => redirect.down('vpn6', { netns: ns })),
      ]);
      await judge(`up vpn | ${delay} ms | down vpn6`, four, v4Routes(SERVER));
      await redirect.down('vpn', { netns: ns });
      await redirect.down('vpn6', { netns: ns });
    }
    expect(wrong).toEqual([]);
    expect(await routeText(ns)).toBe(clean);
  }, 60_000);

  it('IPv4 on one interface, IPv6 on another, and the same name in a second namespace: one redirect per namespace', async () => {
    const one = await createSeedWithoutState('two-a');
    const two = await createSeedWithoutState('two-b');
    await createTun(one.seed.ns, { name: 'vpn6', address6: 'fd00:6::2/64' });
    const cleanOne = await routeText(one.seed.ns);
    const prng = new Prng(runSeed());
    const actors = [
      {
        name: 'vpn (IPv4)',
        ns: one.seed.ns,
        up: ['up', 'vpn', SERVER, '--netns', one.seed.ns],
        down: ['down', 'vpn', '--netns', one.seed.ns],
        routes: v4Routes(SERVER),
      },
      {
        name: 'vpn6 (IPv6)',
        ns: one.seed.ns,
        up: ['up', 'vpn6', SERVER6, '--family', '6', '--netns', one.seed.ns],
        down: ['down', 'vpn6', '--netns', one.seed.ns],
        routes: v6Routes('vpn6'),
      },
      {
        name: 'vpn in another namespace',
        ns: two.seed.ns,
        up: ['up', 'vpn', SERVER, '--netns', two.seed.ns],
        down: ['down', 'vpn', '--netns', two.seed.ns],
        routes: v4Routes(SERVER),
      },
    ];
    const rival = [1, 0, undefined];
    const isUp = actors.map(() => false);
    /** Its change made (it toggles), or its up refused for its rival's redirect: whether it was refused. */
    const settle = (i: number, exit: Exit, what: string): boolean => {
      expect(exit.timedOut, `${what}: a process hung`).toBe(false);
      if (exit.code === 0) {
        isUp[i] = !isUp[i];
        return false;
      }
      const line = exit.stderr.trim().replace(/^redirect-gateway: up: /, '');
      expect(
        !isUp[i] && rival[i] !== undefined && exit.code === 1 && REFUSAL.test(line),
        `${what}: ${exit.stderr}`,
      ).toBe(true);
      return true;
    };
    const rounds = 14;
    let refusals = 0;
    for (let round = 0; round < rounds; round++) {
      // Every actor changes its state each round (so the three always work at the same moment), in random order.
      const order = actors.map((_, i) => i).sort(() => prng.next() - 0.5);
      const wasUp = [...isUp];
      const exits = await Promise.all(order.map((i) => cli(isUp[i] ? actors[i].down : actors[i].up)));
      const refused = order.filter((i, k) => settle(i, exits[k], `round ${round} (seed ${prng.seed})`));
      refusals += refused.length;
      const what = `round ${round} (${actors.map((a, i) => `${a.name} ${isUp[i] ? 'up' : 'down'}`).join(', ')}; seed ${prng.seed})`;
      // Refused only while the rival's redirect stood (before the round, or made in it first).
      for (const i of refused)
        expect(wasUp[rival[i]!] || isUp[rival[i]!], `${what}: ${actors[i].name} refused`).toBe(true);
      expect(isUp[0] && isUp[1], `${what}: two redirects in one namespace`).toBe(false);
      const [lines1, lines2] = [await ourRouteLines(one.seed.ns), await ourRouteLines(two.seed.ns)];
      expect(lines1, `${what}: the first namespace`).toEqual(
        [...(isUp[0] ? actors[0].routes : []), ...(isUp[1] ? actors[1].routes : [])].sort(),
      );
      expect(lines2, `${what}: the second namespace`).toEqual(isUp[2] ? actors[2].routes : []);
      // Half the time one actor stays as it is for a round, so that all four combinations in a namespace occur.
      if (prng.chance(0.5)) {
        const i = prng.int(actors.length);
        const refusedNow = settle(i, await cli(isUp[i] ? actors[i].down : actors[i].up), `${what}: realigning`);
        expect(refusedNow && !isUp[rival[i]!], `${what}: ${actors[i].name} refused alone`).toBe(false);
      }
    }
    for (let i = 0; i < actors.length; i++) if (isUp[i]) expectAllOk([await cli(actors[i].down)], 'the last downs');
    expect(await routeText(one.seed.ns)).toBe(cleanOne);
    expect(await routeText(two.seed.ns)).toBe(two.clean);
    console.log(
      `two interfaces at once: ${rounds} rounds of 3 concurrent processes (seed ${prng.seed}), ${refusals} ups refused, never two redirects in a namespace`,
    );
  }, 120_000);
});
