// `redirect-gateway routes` and `rules` against ip on tables with every kind of route and rule (TOS, realms,
// source-specific routes, protocols ip names and does not): the text byte for byte as `ip route show` /
// `ip rule show` (with -4/-6 and --table), the JSON as `ip -j`'s, key for key; and ip's names followed
// wherever ip reads them (a name for our protocol in rt_protos.d, a built-in one renamed there).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { CLI, cli } from './support/cli.js';
import { run } from './support/exec.js';
import { addFullRoutes, addFullRules } from './support/full-routes.js';
import { ip, ipJson } from './support/ip.js';
import { alignExpiry, type IpJsonRoute } from './support/ip-route-json.js';
import type { Lan } from './support/lan.js';
import { createTunLan } from './support/tun-client.js';

let lan: Lan;

beforeEach(async () => {
  lan = await createTunLan();
  await addFullRoutes(lan.client);
  await addFullRules(lan.client);
});

const CASES: { family: 4 | 6; table?: 'all' | 'local' | '100' }[] = [
  { family: 4 },
  { family: 6 },
  { family: 4, table: 'all' },
  { family: 6, table: 'all' },
  { family: 4, table: '100' },
  { family: 6, table: '100' },
  { family: 6, table: 'local' },
];

function tableArgs(table: string | undefined, option: string): string[] {
  return table === undefined ? [] : [option, table];
}

describe('routes', () => {
  for (const { family, table } of CASES) {
    const title = `-${family}${table ? ` --table ${table}` : ''}`;
    it(`${title}: the text of ip route show, byte for byte`, async () => {
      const ipArgs = [`-${family}`, 'route', 'show', ...tableArgs(table, 'table')];
      const before = await ip(lan.client, ...ipArgs);
      const ours = await cli(['routes', `-${family}`, ...tableArgs(table, '--table'), '--netns', lan.client]);
      const after = await ip(lan.client, ...ipArgs);
      expect(ours.code).toBe(0);
      expect([before, after]).toContain(ours.stdout); // expiry counts down: one of them is the same second
      expect(ours.stdout).toContain(family === 4 ? 'nexthop' : 'pref');
    });

    it(`${title} --json: the objects of ip -j route show`, async () => {
      const ipArgs = [`-${family}`, 'route', 'show', ...tableArgs(table, 'table')];
      const before = await ipJson<IpJsonRoute[]>(lan.client, ...ipArgs);
      const ours = await cli(['routes', `-${family}`, ...tableArgs(table, '--table'), '--netns', lan.client, '--json']);
      const after = await ipJson<IpJsonRoute[]>(lan.client, ...ipArgs);
      expect(ours.code).toBe(0);
      const routes = JSON.parse(ours.stdout) as IpJsonRoute[];
      alignExpiry(routes, before, after);
      expect(routes).toEqual(before);
    });
  }

  it('shows what ip shows of TOS, realms, a source prefix and protocols', async () => {
    const ours = (await cli(['routes', '--netns', lan.client, '--table', 'all'])).stdout;
    expect(ours).toContain('10.30.0.0/16 tos 0x10 via 192.168.1.1 dev eth0');
    expect(ours).toContain('10.31.0.0/16 tos AF11 via 192.168.1.1 dev eth0 proto 157');
    expect(ours).toContain('10.33.0.0/16 via 192.168.1.1 dev eth0 proto babel realms 3/cosmos');
    expect(ours).toContain('2001:db8:5::/48 from 2001:db8:9::/64 dev eth0');
    expect(ours).toContain('2001:db8:6::/48 from 2001:db8:9::1 via fd00:1::1 dev eth0 proto 157');
  });
});

describe('rules', () => {
  for (const family of [4, 6]) {
    it(`-${family}: the text of ip rule show, byte for byte, and the objects of ip -j rule show`, async () => {
      const ours = await cli(['rules', `-${family}`, '--netns', lan.client]);
      expect(ours.code).toBe(0);
      expect(`${ours.stdout}`).toBe(await ip(lan.client, `-${family}`, 'rule', 'show'));
      expect(ours.stdout).toContain('suppress_ifgroup default');
      if (family === 4) expect(ours.stdout).toContain('realms 2/3'); // IPv6 rules have none
      const json = await cli(['rules', `-${family}`, '--netns', lan.client, '--json']);
      expect(JSON.parse(json.stdout)).toEqual(await ipJson(lan.client, `-${family}`, 'rule', 'show'));
    });
  }
});

/** A command run with `dir` mounted on /etc/iproute2/rt_protos.d, in a mount namespace of its own. */
async function withProtosDir(dir: string, file: string, args: string[]): Promise<string> {
  const script = 'mount --bind "$0" /etc/iproute2/rt_protos.d && exec "$@"';
  return (await run('unshare', ['--mount', '--', 'sh', '-c', script, dir, file, ...args])).stdout;
}

describe("ip's protocol names, wherever ip reads them", () => {
  it('names a protocol as a file of rt_protos.d does, and a built-in one only once ip has read the files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-rt-protos-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'ours.conf'), '# ours\n157\tredirect-gateway\n0x2a babel-renamed # after a built-in\n');
    await writeFile(join(dir, 'ignored.txt'), '186 not-read\n');
    const ip = (args: string[]) => withProtosDir(dir, 'ip', ['-n', lan.client, ...args]);
    const ours = (args: string[]) => withProtosDir(dir, process.execPath, [CLI, ...args, '--netns', lan.client]);
    for (const family of ['-4', '-6']) {
      const show = [family, 'route', 'show', 'table', 'all'];
      const text = [await ip(show), await ours(['routes', family, '--table', 'all']), await ip(show)];
      expect(text.slice(0, 1).concat(text[2]!)).toContain(text[1]); // expiry counts down: one is the same second
      expect(text[1]).toContain('proto redirect-gateway');
      const before = JSON.parse(await ip(['-j', ...show])) as IpJsonRoute[];
      const routes = JSON.parse(await ours(['routes', family, '--table', 'all', '--json'])) as IpJsonRoute[];
      const after = JSON.parse(await ip(['-j', ...show])) as IpJsonRoute[];
      alignExpiry(routes, before, after);
      expect(routes).toEqual(before);
    }
    expect(await ours(['rules', '-4'])).toBe(await ip(['-4', 'rule', 'show']));
    expect(await ours(['rules', '-4'])).toContain('proto redirect-gateway');
  });
});
