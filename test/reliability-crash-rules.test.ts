// Crash safety of `--strategy rules`: `up` (and `down`) killed with SIGKILL at random moments. After every kill
// main is exactly as it was (the strategy never touches it), our rules are in a safe state (the lookup of our
// table only behind the rules it relies on, so the server's packets never loop into the tunnel), `down`
// restores rules and tables exactly, and the next `up` makes exactly the wanted rules and routes, once each.
//
// Replay a run with RG_SEED=<seed printed in the summary line>.
import { describe, expect, it } from 'vitest';
import { cli, startCli, startCliKilledAfter } from './support/cli.js';
import { ipJson } from './support/ip.js';
import { exceptionRuleLines, ourRuleLines, policyText, TINC_TRAFFIC } from './support/policy.js';
import { duplicates, median, Prng, runSeed } from './support/reliability-tools.js';
import { WALL_CLOCK_BOUNDS_OFF } from './support/sanitizer.js';
import { createSeedWithoutState, pathTo, routeText, SERVER } from './support/seed.js';
import { cliKilledAt, NETLINK_SEND } from './support/strace-inject.js';

const KILLS_WANTED = 20;
const MAX_ITERATIONS = 120;

interface Variant {
  name: string;
  args: (ns: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** Our rules and our table's routes after it (ours()). */
  wanted: string[];
}

const RULES_V4 = [
  ...exceptionRuleLines(30157, SERVER).map((l) => `-4 ${l}`),
  '-4 30159: lookup main suppress_prefixlength 0',
  '-4 30160: lookup 157',
];
const RULES_V6 = ['-6 30159: lookup main suppress_prefixlength 0', '-6 30160: lookup 157'];
const TABLE_V4 = ['-4 route default dev vpn'];
const TABLE_V6 = ['-6 route default dev vpn'];

const VARIANTS: Variant[] = [
  {
    name: 'up',
    args: (ns) => ['up', 'vpn', SERVER, '--strategy', 'rules', '--netns', ns],
    wanted: [...RULES_V4, ...TABLE_V4],
  },
  {
    name: 'up both',
    args: (ns) => ['up', 'vpn', SERVER, '--strategy', 'rules', '--family', 'both', '--netns', ns],
    wanted: [...RULES_V4, ...RULES_V6, ...TABLE_V4, ...TABLE_V6],
  },
  {
    name: 'hook up',
    args: (ns) => ['hook', 'up', '--strategy', 'rules', '--netns', ns],
    env: { ...process.env, INTERFACE: 'vpn', REMOTEADDRESS: SERVER, NODE: 'server' },
    wanted: [...RULES_V4, ...TABLE_V4],
  },
];

/** Our rules of both families and our routes in any table, a line each. */
async function ours(ns: string): Promise<string[]> {
  const lines: string[] = [];
  for (const family of ['-4', '-6'] as const)
    lines.push(...(await ourRuleLines(ns, family)).map((l) => `${family} ${l}`));
  for (const family of ['-4', '-6']) {
    const routes = await ipJson<{ dst: string; dev?: string }[]>(
      ns,
      family,
      'route',
      'show',
      'table',
      'all',
      'proto',
      '157',
    );
    for (const r of routes) lines.push(`${family} route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
  }
  return lines;
}

/** Safe: in each family, the lookup of our table stands only behind every rule it relies on (up's order). */
function unsafe(lines: string[]): string | undefined {
  for (const [family, needed] of [
    ['-4', RULES_V4.slice(0, 5)],
    ['-6', RULES_V6.slice(0, 1)],
  ] as const) {
    if (!lines.includes(`${family} 30160: lookup 157`)) continue;
    const missing = needed.filter((l) => !lines.includes(l));
    if (missing.length) return `${family} lookup 157 without ${missing.join(', ')}`;
  }
  return undefined;
}

/** What a kill may leave: none of ours twice, main untouched, the rules safe (unsafe), tinc's path off the VPN. */
async function expectSafeAfterKill(ns: string, what: string, after: string[], cleanMain: string): Promise<void> {
  expect(duplicates(after), `${what}: duplicates`).toEqual([]);
  expect(await routeText(ns), `${what}: main`).toBe(cleanMain);
  expect(unsafe(after), `${what}: rules`).toBeUndefined();
  expect(await pathTo(ns, SERVER, ...TINC_TRAFFIC).catch(() => 'unreachable'), `${what}: tinc's path`).not.toContain(
    'vpn',
  );
}

describe('crash safety of the rules strategy', () => {
  it.skipIf(WALL_CLOCK_BOUNDS_OFF)(
    'SIGKILL at random moments of up and down: main untouched, rules safe, down exact, up redoes it',
    async () => {
      const { ns } = await createSeedWithoutState('crash-rules');
      const everything = () => policyText(ns);
      const clean = await everything();
      const cleanMain = await routeText(ns);
      const prng = new Prng(runSeed());
      const runs: number[] = [];
      const timed = async (args: string[], env?: NodeJS.ProcessEnv) => {
        const exit = await startCli(args, { env }).exit;
        runs.push(exit.ms);
        return exit;
      };
      for (let i = 0; i < 3; i++) {
        expect((await timed(VARIANTS[0].args(ns))).code).toBe(0);
        expect((await timed(['down', 'vpn', '--netns', ns])).code).toBe(0);
      }
      expect(await everything()).toBe(clean);

      const tally = { upKills: 0, downKills: 0, finished: 0, before: 0, after: 0, partial: 0 };
      let redirected: Variant | undefined;
      let iteration = 0;
      for (; tally.upKills < KILLS_WANTED && iteration < MAX_ITERATIONS; iteration++) {
        const killDown = redirected !== undefined && prng.chance(0.2);
        const variant = killDown ? undefined : prng.pick(VARIANTS);
        const args = variant ? variant.args(ns) : ['down', 'vpn', '--netns', ns];
        // Mostly in the last third of a run, where the netlink work is (node's start-up is the first).
        const length = median(runs.slice(-9));
        const delay = prng.chance(0.25) ? prng.next() * 1.1 * length : (0.7 + prng.next() * 0.45) * length;
        const what = `iteration ${iteration} (${variant?.name ?? 'down'}, killed after ${delay.toFixed(1)} ms, seed ${prng.seed})`;

        const before = await ours(ns);
        const exit = await startCliKilledAfter(args, delay, { env: variant?.env }).exit;
        const after = await ours(ns);
        await expectSafeAfterKill(ns, what, after, cleanMain);
        if (exit.signal === 'SIGKILL') {
          if (variant) tally.upKills++;
          else tally.downKills++;
          const target = variant ? variant.wanted : [];
          if (JSON.stringify(after) === JSON.stringify(before)) tally.before++;
          else if (JSON.stringify([...after].sort()) === JSON.stringify([...target].sort())) tally.after++;
          else tally.partial++;
        } else {
          expect(exit.code, `${what}: ${exit.stderr}`).toBe(0);
          tally.finished++;
        }

        const down = await timed(['down', 'vpn', '--netns', ns]);
        expect(down.code, `${what}: down: ${down.stderr}`).toBe(0);
        expect(await everything(), `${what}: after down`).toBe(clean);

        const next = prng.pick(VARIANTS);
        const up = await timed(next.args(ns), next.env);
        expect(up.code, `${what}: up (${next.name}): ${up.stderr}`).toBe(0);
        expect([...(await ours(ns))].sort(), `${what}: after up (${next.name})`).toEqual([...next.wanted].sort());
        redirected = next;
        if (prng.chance(0.25)) {
          expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
          redirected = undefined;
        }
      }
      expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
      console.log(
        `rules crash storm: seed ${prng.seed}: ${tally.upKills} kills of up, ${tally.downKills} of down in ${iteration} iterations; ` +
          `killed before any change ${tally.before}, after all ${tally.after}, part way ${tally.partial}; ${tally.finished} finished first`,
      );
      // Where the kills land depends on the machine's load: the strace test below kills at every request in turn.
      expect(tally.upKills).toBeGreaterThanOrEqual(KILLS_WANTED);
      expect(await everything()).toBe(clean);
    },
    300_000,
  );

  // Every moment between two netlink requests, in turn: strace kills the process as it enters its k-th send (the
  // kernel never sees that one), so each kill leaves the changes before it made and none after. strace counts each
  // system call on its own, so the k-th sendmsg and the k-th sendto (the pipelined changes) are each a kill.
  it('SIGKILL at each netlink request of up and down in turn (strace): every partial state is safe, down exact', async () => {
    const { ns } = await createSeedWithoutState('crash-rules-at');
    const everything = () => policyText(ns);
    const clean = await everything();
    const cleanMain = await routeText(ns);
    const variant = VARIANTS[1];
    const partial = new Set<string>();
    // A sweep over the kills meets both states between the changes, but not always under load (seen in 2 of 5
    // runs beside other suites: which send is the k-th is not fixed across threads); another sweep then does. Every
    // kill of every sweep is checked alike.
    const both = () => ['up:', 'down:'].every((op) => [...partial].some((p) => p.startsWith(op)));
    for (let sweep = 1; sweep <= 3 && !both(); sweep++) {
      for (const downToo of [false, true]) {
        for (const call of NETLINK_SEND.split(',')) {
          for (let k = 1; k <= 16; k++) {
            const what = `${downToo ? 'down' : 'up'} killed at ${call} ${k}`;
            if (downToo) expect((await cli(variant.args(ns))).code).toBe(0);
            const victim = await cliKilledAt(call, k, downToo ? ['down', 'vpn', '--netns', ns] : variant.args(ns));
            const after = await ours(ns);
            const target = downToo ? [] : variant.wanted;
            const full = downToo ? variant.wanted : [];
            if (after.length !== 0 && after.length !== full.length && after.length !== target.length) {
              partial.add(`${downToo ? 'down' : 'up'}: ${after.join(', ')}`);
            }
            await expectSafeAfterKill(ns, what, after, cleanMain);
            const down = await cli(['down', 'vpn', '--netns', ns]);
            expect(down.code, `${what}: down: ${down.stderr}`).toBe(0);
            expect(await everything(), `${what}: after down`).toBe(clean);
            if (victim.code === 0) break; // it got to the end: no later send to kill it at
          }
        }
      }
    }
    // Each batch of changes is one send, which the kernel applies whole: the state between is the table's routes
    // without the rules, met by up (routes first) and by down (rules first).
    expect(both(), `states between the changes seen: ${[...partial].join('; ')}`).toBe(true);
  }, 300_000);
});
