// One snapshot per decision (issue 18): under the namespace's lock, `up`, `hook host-up` and `down` read the
// redirect's state, its peers and its DNS record once each, and dump the kernel's policy rules once, shared by
// every part that owns rules (the halves' refusal rules, the kill switch's uplink and DNS rules). Graded by strace:
// the files the process opens for reading, and its RTM_GETRULE requests (one dump asks both families at once). And
// a part's rule changes go to the kernel in one send (RouteSocket.changeRules), not a send each.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { start } from './support/exec.js';
import { tempDir } from './support/package.js';
import { createSeedWithoutState, SERVER } from './support/seed.js';
import { STATE_DIR } from './support/state.js';

const RTM_GETRULE = 0x22;
/** strace names the types, or gives their numbers when it does not know the socket's protocol. */
const RULE_CHANGE = /nlmsg_type=(RTM_NEWRULE|RTM_DELRULE|0x20|0x21)\b/g;

interface Traced {
  /** How often each path was opened for reading. */
  reads: Map<string, number>;
  /** The RTM_GETRULE requests sent. */
  ruleRequests: number;
  /** Each send of rule changes: 'add' or 'delete' for each of its messages. */
  ruleChangeSends: string[][];
}

async function traced(args: string[], dir: string, env?: NodeJS.ProcessEnv): Promise<Traced> {
  const out = `${dir}/strace.${args[0]}.${Date.now()}`;
  const strace = ['-f', '-qq', '-o', out, '-e', 'trace=openat,sendmsg,sendto'];
  const exit = await start('strace', [...strace, process.execPath, CLI, ...args], { env, timeoutMs: 30_000 }).exit;
  expect(exit.code, `${args.join(' ')}: ${exit.stderr}`).toBe(0);
  const reads = new Map<string, number>();
  let ruleRequests = 0;
  const ruleChangeSends: string[][] = [];
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    const open = /openat\(AT_FDCWD, "([^"]+)", (O_[A-Z_|]+)/.exec(line);
    if (open && !/O_WRONLY|O_RDWR|O_CREAT/.test(open[2])) reads.set(open[1], (reads.get(open[1]) ?? 0) + 1);
    ruleRequests += [...line.matchAll(/nlmsg_type=0x([0-9a-f]+)/g)].filter(
      (m) => parseInt(m[1], 16) === RTM_GETRULE,
    ).length;
    const changes = [...line.matchAll(RULE_CHANGE)].map((m) => (/NEW|0x20/.test(m[1]) ? 'add' : 'delete'));
    if (changes.length) ruleChangeSends.push(changes);
  }
  return { reads, ruleRequests, ruleChangeSends };
}

describe('one snapshot per decision', () => {
  it('up, host-up and down read the state, peers and DNS files once each and dump the rules once', async () => {
    const { ns, key } = await createSeedWithoutState('client', { held: true });
    const dir = await tempDir('snapshot');
    const files = ['.json', '.peers.json', '.dns.json'].map((suffix) => `${STATE_DIR}/${key}_vpn${suffix}`);
    const hookEnv = { ...process.env, INTERFACE: 'vpn', NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' };
    const steps: [string[], NodeJS.ProcessEnv?][] = [
      [['up', 'vpn', SERVER, '--kill-switch', '--netns', ns]],
      [['hook', 'host-up', '--netns', ns], hookEnv],
      [['up', 'vpn', SERVER, '--kill-switch', '--netns', ns]],
      [['down', 'vpn', '--netns', ns]],
    ];
    for (const [args, env] of steps) {
      const { reads, ruleRequests } = await traced(args, dir, env);
      for (const file of files)
        expect(reads.get(file) ?? 0, `${args.join(' ')}: reads of ${file}`).toBeLessThanOrEqual(1);
      expect(ruleRequests, `${args.join(' ')}: RTM_GETRULE requests`).toBeLessThanOrEqual(1);
    }
  });

  it("a cycle sends the server's two refusal rules in one request up and one down", async () => {
    const { ns } = await createSeedWithoutState('client', { held: true });
    const dir = await tempDir('snapshot');
    const up = await traced(['up', 'vpn', SERVER, '--netns', ns], dir);
    expect(up.ruleChangeSends).toEqual([['add', 'add']]);
    const down = await traced(['down', 'vpn', '--netns', ns], dir);
    expect(down.ruleChangeSends).toEqual([['delete', 'delete']]);
  });
});
