// `redirect-gateway routes` against ip on a table with every kind of route: the text byte for byte as
// `ip route show` (with -4/-6 and --table), the JSON by ip's names as `ip -j route show`.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Route } from '../src/netlink/index.js';
import { cli } from './support/cli.js';
import { addFullRoutes } from './support/full-routes.js';
import { ip, ipJson } from './support/ip.js';
import { alignExpiry, asIpJson, type IpJsonRoute } from './support/ip-route-json.js';
import type { Lan } from './support/lan.js';
import { createTunLan } from './support/tun-client.js';

let lan: Lan;

beforeEach(async () => {
  lan = await createTunLan();
  await addFullRoutes(lan.client);
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

    it(`${title} --json: the fields of ip -j route show`, async () => {
      const ipArgs = [`-${family}`, 'route', 'show', ...tableArgs(table, 'table')];
      const before = await ipJson<IpJsonRoute[]>(lan.client, ...ipArgs);
      const ours = await cli(['routes', `-${family}`, ...tableArgs(table, '--table'), '--netns', lan.client, '--json']);
      const after = await ipJson<IpJsonRoute[]>(lan.client, ...ipArgs);
      expect(ours.code).toBe(0);
      const shown = table === undefined ? 'main' : table === 'all' ? undefined : /^\d+$/.test(table) ? +table : table;
      const routes = (JSON.parse(ours.stdout) as Route[]).map((r) => asIpJson(r, shown as Route['table']));
      alignExpiry(routes, before, after);
      expect(routes).toEqual(before);
    });
  }
});
