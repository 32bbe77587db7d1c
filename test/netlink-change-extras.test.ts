// RouteSpec's next hops, metrics, onlink, via and nhid against iproute2, by twins: the same change through the
// API in one namespace and through `ip route` in the other, then identical `ip route show` and
// `ip -6 route show` (every table). Invalid specs fail before anything is sent; what listRoutes shows of such
// routes, fed back as specs, changes nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, netlink, type Route, type RouteSpec } from '../src/index.js';
import { ip, ipBatch, type Netns } from './support/ip.js';
import { createTunLan } from './support/tun-client.js';

interface Case {
  name: string;
  /** `ip` commands run in both twins first. */
  setup?: string[];
  op: 'add' | 'replace' | 'delete';
  spec: RouteSpec;
  /** The same change in iproute2's words (after `ip route add|replace|del`). */
  ipWords: string;
}

const NEXTHOP_OBJECT = 'nexthop add id 7 via 192.168.1.1 dev eth0';
const MULTIPATH_V4 = '10.30.0.0/16 nexthop via 192.168.1.1 dev eth0 weight 3 nexthop via 10.99.0.1 dev eth0 onlink';
const MULTIPATH_V4_SPEC: RouteSpec = {
  dst: '10.30.0.0/16',
  nexthops: [
    { gateway: '192.168.1.1', dev: 'eth0', weight: 3 },
    { gateway: '10.99.0.1', dev: 'eth0', flags: ['onlink'] },
  ],
};
const MULTIPATH_V6 = '2001:db8:30::/48 nexthop via fd00:1::1 dev eth0 weight 2 nexthop via fe80::1 dev eth0';
const MULTIPATH_V6_SPEC: RouteSpec = {
  dst: '2001:db8:30::/48',
  nexthops: [
    { gateway: 'fd00:1::1', dev: 'eth0', weight: 2 },
    { gateway: 'fe80::1', dev: 'eth0' },
  ],
};
const METRICS_V4 = '10.32.0.0/16 via 192.168.1.1 mtu lock 1400 advmss 1360 initcwnd 10 rtt 100ms';
const METRICS_V4_SPEC: RouteSpec = {
  dst: '10.32.0.0/16',
  gateway: '192.168.1.1',
  metrics: { mtu: 1400, advmss: 1360, initcwnd: 10, rtt: 100, lock: ['mtu'] },
};

const CASES: Case[] = [
  { name: 'multipath, weights and onlink', op: 'add', spec: MULTIPATH_V4_SPEC, ipWords: MULTIPATH_V4 },
  {
    name: 'multipath replacing a plain route',
    setup: ['route add 10.30.0.0/16 via 192.168.1.1'],
    op: 'replace',
    spec: MULTIPATH_V4_SPEC,
    ipWords: MULTIPATH_V4,
  },
  {
    name: 'multipath deleted',
    setup: [`route add ${MULTIPATH_V4}`],
    op: 'delete',
    spec: MULTIPATH_V4_SPEC,
    ipWords: MULTIPATH_V4,
  },
  { name: 'IPv6 multipath', op: 'add', spec: MULTIPATH_V6_SPEC, ipWords: MULTIPATH_V6 },
  {
    name: 'IPv6 multipath replacing a plain route',
    setup: ['-6 route add 2001:db8:30::/48 via fd00:1::1'],
    op: 'replace',
    spec: MULTIPATH_V6_SPEC,
    ipWords: MULTIPATH_V6,
  },
  {
    name: 'IPv6 multipath deleted',
    setup: [`-6 route add ${MULTIPATH_V6}`],
    op: 'delete',
    spec: MULTIPATH_V6_SPEC,
    ipWords: MULTIPATH_V6,
  },
  {
    name: 'onlink',
    op: 'add',
    spec: { dst: '10.31.0.0/16', gateway: '10.99.0.1', dev: 'eth0', flags: ['onlink'] },
    ipWords: '10.31.0.0/16 via 10.99.0.1 dev eth0 onlink',
  },
  { name: 'metrics with a lock', op: 'add', spec: METRICS_V4_SPEC, ipWords: METRICS_V4 },
  {
    name: 'metrics replaced',
    setup: [`route add ${METRICS_V4}`],
    op: 'replace',
    spec: { dst: '10.32.0.0/16', gateway: '192.168.1.1', metrics: { mtu: 1300, initrwnd: 20, lock: 1 << 8 } },
    ipWords: '10.32.0.0/16 via 192.168.1.1 mtu 1300 initrwnd 20 advmss lock 0',
  },
  {
    name: 'metrics deleted',
    setup: [`route add ${METRICS_V4}`],
    op: 'delete',
    spec: METRICS_V4_SPEC,
    ipWords: METRICS_V4,
  },
  {
    // Scaled (rttvar: the kernel keeps 1/4 ms), a name (RTAX_CC_ALGO) and a flag, encoded by the addon.
    name: 'metrics rttvar, congestion and quickack',
    op: 'add',
    spec: { dst: '10.36.0.0/16', gateway: '192.168.1.1', metrics: { rttvar: 20, congestion: 'cubic', quickack: 1 } },
    ipWords: '10.36.0.0/16 via 192.168.1.1 rttvar 20ms quickack 1 congctl cubic',
  },
  {
    name: 'IPv6 metrics',
    op: 'add',
    spec: { dst: '2001:db8:31::/48', gateway: 'fd00:1::1', metrics: { mtu: 1300, hoplimit: 5, initcwnd: 4 } },
    ipWords: '2001:db8:31::/48 via fd00:1::1 mtu 1300 hoplimit 5 initcwnd 4',
  },
  {
    name: 'via inet6',
    op: 'add',
    spec: { dst: '10.33.0.0/16', via: { family: 'inet6', host: 'fd00:1::1' }, dev: 'eth0' },
    ipWords: '10.33.0.0/16 via inet6 fd00:1::1 dev eth0',
  },
  {
    name: 'via inet6 link-local, replacing a plain route',
    setup: ['route add 10.33.0.0/16 via 192.168.1.1'],
    op: 'replace',
    spec: { dst: '10.33.0.0/16', via: { family: 'inet6', host: 'fe80::1' }, dev: 'eth0' },
    ipWords: '10.33.0.0/16 via inet6 fe80::1 dev eth0',
  },
  {
    name: 'a multipath next hop via inet6',
    op: 'add',
    spec: {
      dst: '10.35.0.0/16',
      nexthops: [{ via: { family: 'inet6', host: 'fd00:1::1' }, dev: 'eth0' }, { gateway: '192.168.1.1' }],
    },
    ipWords: '10.35.0.0/16 nexthop via inet6 fd00:1::1 dev eth0 nexthop via 192.168.1.1',
  },
  {
    name: 'nhid',
    setup: [NEXTHOP_OBJECT],
    op: 'add',
    spec: { dst: '10.34.0.0/16', nhid: 7 },
    ipWords: '10.34.0.0/16 nhid 7',
  },
];

let twins: [string, string];

beforeEach(async () => {
  const made = await Promise.all([createTunLan(), createTunLan()]);
  twins = [made[0].client, made[1].client];
});

async function shown(ns: Netns): Promise<string> {
  return (await ip(ns, 'route', 'show', 'table', 'all')) + (await ip(ns, '-6', 'route', 'show', 'table', 'all'));
}

const method = { add: 'addRoute', replace: 'replaceRoute', delete: 'deleteRoute' } as const;

describe('RouteSpec extras, against ip route', () => {
  for (const c of CASES) {
    it(`${c.op}: ${c.name}`, async () => {
      const [ours, theirs] = twins;
      for (const ns of twins) for (const line of c.setup ?? []) await ip(ns, ...line.split(' '));
      const before = await shown(ours);
      expect(await shown(theirs)).toBe(before);
      const nl = await netlink.open({ netns: ours });
      try {
        await nl[method[c.op]](c.spec);
      } finally {
        nl.close();
      }
      const family = c.spec.dst.includes(':') ? '-6' : '-4';
      await ip(theirs, family, 'route', c.op === 'delete' ? 'del' : c.op, ...c.ipWords.split(' '));
      const after = await shown(ours);
      expect(after).toBe(await shown(theirs));
      expect(after).not.toBe(before);
    });
  }
});

describe('invalid specs', () => {
  const invalid: [string, RouteSpec][] = [
    ['next hops and a gateway', { ...MULTIPATH_V4_SPEC, gateway: '192.168.1.1' }],
    ['next hops and a device', { ...MULTIPATH_V4_SPEC, dev: 'eth0' }],
    ['no next hops', { dst: '10.30.0.0/16', nexthops: [] }],
    ['weight 0', { dst: '10.30.0.0/16', nexthops: [{ gateway: '192.168.1.1', weight: 0 }] }],
    ['weight 257', { dst: '10.30.0.0/16', nexthops: [{ gateway: '192.168.1.1', weight: 257 }] }],
    ['a next hop of the other family', { dst: '10.30.0.0/16', nexthops: [{ gateway: 'fd00:1::1' }] }],
    ['an unknown next hop field', { dst: '10.30.0.0/16', nexthops: [{ gateway: '192.168.1.1', metric: 1 } as never] }],
    [
      'a next hop onlink without a device',
      { dst: '10.30.0.0/16', nexthops: [{ gateway: '10.99.0.1', flags: ['onlink'] }] },
    ],
    ['onlink without a device', { dst: '10.31.0.0/16', gateway: '10.99.0.1', flags: ['onlink'] }],
    ['a flag other than onlink', { dst: '10.31.0.0/16', dev: 'eth0', flags: ['linkdown'] }],
    ['an unknown metric', { dst: '10.32.0.0/16', dev: 'eth0', metrics: { mtus: 1400 } }],
    ['a metric past uint32', { dst: '10.32.0.0/16', dev: 'eth0', metrics: { mtu: 2 ** 32 } }],
    ['a negative metric', { dst: '10.32.0.0/16', dev: 'eth0', metrics: { advmss: -1 } }],
    ['an rtt past what the kernel keeps in 1/8 ms', { dst: '10.32.0.0/16', dev: 'eth0', metrics: { rtt: 2 ** 29 } }],
    ['an unknown metric locked', { dst: '10.32.0.0/16', dev: 'eth0', metrics: { lock: ['mtus'] } }],
    ['via of the same family', { dst: '10.33.0.0/16', via: { family: 'inet', host: '192.168.1.1' } }],
    ['via of a family it is not', { dst: '10.33.0.0/16', via: { family: 'inet6', host: '192.168.1.1' } }],
    ['via and a gateway', { dst: '10.33.0.0/16', gateway: '192.168.1.1', via: { family: 'inet6', host: 'fe80::1' } }],
    ['nhid and a device', { dst: '10.34.0.0/16', nhid: 7, dev: 'eth0' }],
    ['nhid 2^32', { dst: '10.34.0.0/16', nhid: 2 ** 32 }],
  ];
  for (const [name, spec] of invalid) {
    it(`rejects ${name}, and sends nothing`, async () => {
      const [ours] = twins;
      const before = await shown(ours);
      const nl = await netlink.open({ netns: ours });
      try {
        const valid = { op: 'add' as const, route: { dst: '10.40.0.0/16', dev: 'eth0' } };
        for (const op of ['add', 'replace', 'delete'] as const) {
          await expect(nl.changeRoutes([valid, { op, route: spec }])).rejects.toBeInstanceOf(InvalidInputError);
        }
      } finally {
        nl.close();
      }
      expect(await shown(ours)).toBe(before);
    });
  }
});

/** What a listed route is as a spec: its fields that a spec has (flags: onlink; a nexthop object's route by its id). */
function specOfRoute(r: Route): RouteSpec {
  const spec: RouteSpec = { dst: r.dst, table: r.table, protocol: r.protocol, scope: r.scope, type: r.type };
  if (r.nhid !== undefined) spec.nhid = r.nhid;
  else if (r.via) spec.via = r.via;
  else if (r.gateway !== undefined) spec.gateway = r.gateway;
  if (r.dev !== undefined && r.nhid === undefined) spec.dev = r.dev;
  if (r.metric !== undefined) spec.metric = r.metric;
  if (r.prefsrc !== undefined) spec.prefsrc = r.prefsrc;
  if (r.metrics) spec.metrics = r.metrics;
  if (r.flags?.includes('onlink')) spec.flags = ['onlink'];
  if (r.nexthops) {
    spec.nexthops = r.nexthops.map((h) => ({
      ...(h.via ? { via: h.via } : h.gateway ? { gateway: h.gateway } : {}),
      dev: h.dev,
      weight: h.weight,
      flags: h.flags.filter((f) => f === 'onlink'),
    }));
  }
  return spec;
}

describe('round trip', () => {
  it('what listRoutes shows of them, replaced with itself, changes nothing', async () => {
    const [ours] = twins;
    await ip(ours, ...NEXTHOP_OBJECT.split(' '));
    const nl = await netlink.open({ netns: ours });
    try {
      for (const c of CASES) if (c.op === 'add') await nl.addRoute(c.spec);
      const before = await shown(ours);
      const added = new Set(CASES.map((c) => c.spec.dst));
      const routes = (await nl.listRoutes({ table: 'all' })).filter((r) => added.has(r.dst));
      expect(routes).toHaveLength(added.size);
      const results = await nl.changeRoutes(routes.map((r) => ({ op: 'replace', route: specOfRoute(r) })));
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(await shown(ours)).toBe(before);
    } finally {
      nl.close();
    }
  });
});

describe('many changes with tails', () => {
  it('3000 multipath routes with metrics between plain ones: changeRoutes, then bulkChange in small chunks', async () => {
    const [ours, theirs] = twins;
    const lines: string[] = [];
    const changes = Array.from({ length: 6000 }, (_, i) => {
      const dst = `10.${100 + (i >> 8)}.${i & 255}.0/24`;
      if (i % 2) {
        lines.push(`route add ${dst} via 192.168.1.1`);
        return { op: 'add' as const, route: { dst, gateway: '192.168.1.1' } };
      }
      lines.push(
        `route add ${dst} mtu ${1000 + i} nexthop via 192.168.1.1 dev eth0 weight ${1 + (i % 256)} nexthop dev vpn`,
      );
      return {
        op: 'add' as const,
        route: {
          dst,
          metrics: { mtu: 1000 + i },
          nexthops: [{ gateway: '192.168.1.1', dev: 'eth0', weight: 1 + (i % 256) }, { dev: 'vpn' }],
        },
      };
    });
    const nl = await netlink.open({ netns: ours });
    try {
      const results = await nl.changeRoutes(changes.slice(0, 3000));
      expect(results.filter((r) => r.error)).toEqual([]);
      const result = await nl.bulkChange(changes.slice(3000), { chunkSize: 1000 });
      expect(result).toMatchObject({ applied: 3000, failed: 0 });
    } finally {
      nl.close();
    }
    await ipBatch(theirs, lines);
    expect(await shown(ours)).toBe(await shown(theirs));
  });
});
