// A redirect over an uplink that is a multipath default route, a default through a nexthop object or an IPv4
// default via an inet6 gateway (RTA_VIA): the server's exception route follows the kernel's choice, and down
// restores the table byte for byte.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { ip } from './support/ip.js';
import { createSeed, pathTo, routeText, SERVER, type Seed } from './support/seed.js';

let seed: Seed;

beforeEach(async () => {
  seed = await createSeed();
});

const V4_PATH = /^via 192\.168\.1\.[13] dev eth0$/;

const UPLINKS: [string, string[][], RegExp?][] = [
  [
    'a multipath default route',
    [
      [
        'route',
        'replace',
        'default',
        'nexthop',
        'via',
        '192.168.1.1',
        'dev',
        'eth0',
        'nexthop',
        'via',
        '192.168.1.3',
        'dev',
        'eth0',
      ],
    ],
  ],
  [
    'a default route through a nexthop object',
    [
      ['nexthop', 'add', 'id', '5', 'via', '192.168.1.1', 'dev', 'eth0'],
      ['route', 'replace', 'default', 'nhid', '5'],
    ],
  ],
  [
    'an IPv4 default route via an inet6 gateway on the LAN',
    [['-4', 'route', 'replace', 'default', 'via', 'inet6', 'fd00:1::1', 'dev', 'eth0']],
    /^via inet6 fd00:1::1 dev eth0$/,
  ],
  [
    'an IPv4 default route via an inet6 link-local gateway',
    [['-4', 'route', 'replace', 'default', 'via', 'inet6', 'fe80::ff:fe00:101', 'dev', 'eth0']],
    /^via inet6 fe80::ff:fe00:101 dev eth0$/,
  ],
];

describe('redirect over', () => {
  for (const [what, commands, expected = V4_PATH] of UPLINKS) {
    it(what, async () => {
      for (const args of commands) await ip(seed.ns, ...args);
      const before = await routeText(seed.ns);
      const path = await pathTo(seed.ns, SERVER);
      expect(path).toMatch(expected);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, family: 4 });
      expect(await pathTo(seed.ns, SERVER)).toBe(path);
      expect(await pathTo(seed.ns, '203.0.113.9')).toMatch(/dev vpn$/);
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await routeText(seed.ns)).toBe(before);
    });
  }
});
