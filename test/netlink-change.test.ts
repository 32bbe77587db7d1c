// addRoute, replaceRoute, deleteRoute against iproute2, by twins: two namespaces built the same way; our
// call in one, the same `ip route` command in the other; then the two routing states must be identical
// (every table, both families), and so must the outcome (success, or the same errno).
import { beforeEach, describe, expect, it } from 'vitest';
import { NetlinkError, netlink, type RouteSpec } from '../src/index.js';
import { errnoOfIpMessage } from './support/errors.js';
import { ip } from './support/ip.js';
import {
  type ComparableRoute,
  expectSameRoutes,
  ipRoutes,
  OUR_PROTOCOL,
  routeDiff,
  snapshotRoutes,
} from './support/routes.js';
import { createTunLan } from './support/tun-client.js';

type Op = 'add' | 'replace' | 'delete';

interface Case {
  /** `ip route` commands (without `ip route`) run in both twins first. */
  setup?: string[];
  op: Op;
  spec: RouteSpec;
  /** The same change in iproute2's words (after `ip route add|replace|del`). */
  ipWords: string;
  /** The route that must be there afterwards (partial), or that must be gone for a delete. */
  expect?: Partial<ComparableRoute>;
  /** The errno both must fail with; omitted when both must succeed. */
  errno?: number;
}

let twins: [string, string];

beforeEach(async () => {
  const made = await Promise.all([createTunLan(), createTunLan()]);
  twins = [made[0].client, made[1].client];
});

/** Runs one case: ours in twin 0, `ip -4|-6 route ...` in twin 1; compares outcome and the whole routing state. */
async function runTwin(
  family: 4 | 6,
  c: Case,
): Promise<{ diff: ReturnType<typeof routeDiff>; after: ComparableRoute[] }> {
  const [ours, theirs] = twins;
  for (const ns of twins) for (const words of c.setup ?? []) await ip(ns, `-${family}`, 'route', ...words.split(' '));
  const before = await snapshotRoutes(ours);
  expect(await snapshotRoutes(theirs), 'twins differ before the change').toEqual(before);

  const nl = await netlink.open({ netns: ours });
  let ourError: unknown;
  try {
    const method = { add: 'addRoute', replace: 'replaceRoute', delete: 'deleteRoute' } as const;
    await nl[method[c.op]](c.spec).catch((e: unknown) => (ourError = e));
    const ipOp = c.op === 'delete' ? 'del' : c.op;
    const ipError = await ip(theirs, `-${family}`, 'route', ipOp, ...c.ipWords.split(' ')).then(
      () => undefined,
      (e: Error) => e,
    );

    if (ipError) {
      expect(ourError, `ip failed (${ipError.message}) but we did not`).toBeInstanceOf(NetlinkError);
      expect((ourError as NetlinkError).errno, `ip said ${ipError.message}; we said ${ourError}`).toBe(
        errnoOfIpMessage(ipError.message),
      );
    } else if (ourError) {
      throw ourError;
    }
    if (c.errno !== undefined)
      expect((ourError as NetlinkError | undefined)?.errno, 'the expected errno').toBe(c.errno);
    else expect(ourError).toBeUndefined();

    const after = await snapshotRoutes(ours);
    expect(after, 'our namespace differs from what ip made of its twin').toEqual(await snapshotRoutes(theirs));
    // Our own listing agrees with ip about the result, too.
    expectSameRoutes(await nl.listRoutes({ table: 'all' }), await ipRoutes(ours, { table: 'all' }));
    return { diff: routeDiff(before, after), after };
  } finally {
    nl.close();
  }
}

const v4 = {
  gw: '192.168.1.1',
  gw2: '192.168.1.254',
  src: '192.168.1.2',
  dst: '10.20.0.0/16',
  dst2: '10.21.0.0/16',
  host: '198.51.100.7',
  def: '0.0.0.0/0',
};
const v6 = {
  gw: 'fd00:1::1',
  gw2: 'fd00:1::fe',
  src: 'fd00:1::2',
  dst: '2001:db8:20::/48',
  dst2: '2001:db8:21::/48',
  host: '2001:db8:99::7',
  def: '::/0',
};

for (const [family, a] of [
  [4, v4],
  [6, v6],
] as const) {
  const hostCidr = `${a.host}/${family === 4 ? 32 : 128}`;
  const cases: Record<string, Case> = {
    // --- add ---
    'add with gateway, dev and metric': {
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw, dev: 'eth0', metric: 7 },
      ipWords: `${a.dst} via ${a.gw} dev eth0 metric 7`,
      expect: { dst: a.dst, gateway: a.gw, dev: 'eth0', metric: 7, protocol: 3, type: 1, table: 254 },
    },
    'add with a gateway only (the kernel finds the device)': {
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw },
      ipWords: `${a.dst} via ${a.gw}`,
      expect: { dst: a.dst, gateway: a.gw, dev: 'eth0' },
    },
    'add through a device only (on-link)': {
      op: 'add',
      spec: { dst: a.dst, dev: 'vpn' },
      ipWords: `${a.dst} dev vpn`,
      expect: { dst: a.dst, dev: 'vpn', scope: family === 4 ? 253 : 0 },
    },
    'add a host route from a bare address': {
      op: 'add',
      spec: { dst: a.host, gateway: a.gw },
      ipWords: `${a.host} via ${a.gw}`,
      expect: { dst: hostCidr, gateway: a.gw },
    },
    'add a default route with a metric': {
      op: 'add',
      spec: { dst: a.def, gateway: a.gw2, metric: 100 },
      ipWords: `default via ${a.gw2} metric 100`,
      expect: { dst: a.def, gateway: a.gw2, metric: 100 },
    },
    'add to a numbered table': {
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw, table: 100 },
      ipWords: `${a.dst} via ${a.gw} table 100`,
      expect: { dst: a.dst, table: 100 },
    },
    'add with a protocol name': {
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw, protocol: 'static' },
      ipWords: `${a.dst} via ${a.gw} proto static`,
      expect: { dst: a.dst, protocol: 4 },
    },
    'add with our protocol, by name': {
      op: 'add',
      spec: { dst: a.dst, dev: 'vpn', protocol: 'redirect-gateway' },
      ipWords: `${a.dst} dev vpn proto ${OUR_PROTOCOL}`,
      expect: { dst: a.dst, protocol: OUR_PROTOCOL },
    },
    'add with a protocol number': {
      op: 'add',
      spec: { dst: a.dst, dev: 'vpn', protocol: 42 },
      ipWords: `${a.dst} dev vpn proto 42`,
      expect: { dst: a.dst, protocol: 42 },
    },
    'add an unreachable route': {
      op: 'add',
      spec: { dst: a.dst, type: 'unreachable' },
      ipWords: `unreachable ${a.dst}`,
      expect: { dst: a.dst, type: 7 },
    },
    'add a blackhole route': {
      op: 'add',
      spec: { dst: a.dst, type: 'blackhole', metric: 3 },
      ipWords: `blackhole ${a.dst} metric 3`,
      expect: { dst: a.dst, type: 6, metric: 3 },
    },
    'add a prohibit route': {
      op: 'add',
      spec: { dst: a.dst, type: 'prohibit' },
      ipWords: `prohibit ${a.dst}`,
      expect: { dst: a.dst, type: 8 },
    },
    'add with a preferred source': {
      op: 'add',
      spec: { dst: a.dst, dev: 'eth0', prefsrc: a.src },
      ipWords: `${a.dst} dev eth0 src ${a.src}`,
      expect: { dst: a.dst, prefsrc: a.src },
    },
    'add with an explicit scope': {
      op: 'add',
      spec: { dst: a.dst, dev: 'vpn', scope: 'host' },
      ipWords: `${a.dst} dev vpn scope host`,
      expect: { dst: a.dst, scope: family === 4 ? 254 : 0 },
    },
    'add from an uppercase, uncompressed spelling': {
      op: 'add',
      spec: {
        dst: family === 4 ? '10.20.0.0/16' : '2001:0DB8:0020:0000:0000:0000:0000:0000/48',
        gateway: family === 4 ? a.gw : 'FD00:1:0:0:0:0:0:1',
      },
      ipWords: `${a.dst} via ${a.gw}`,
      expect: { dst: a.dst, gateway: a.gw },
    },
    'add the same destination with another metric (a second route)': {
      setup: [`add ${a.dst} via ${a.gw} metric 5`],
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw2, metric: 9 },
      ipWords: `${a.dst} via ${a.gw2} metric 9`,
      expect: { dst: a.dst, metric: 9, gateway: a.gw2 },
    },
    'add a duplicate: EEXIST': {
      setup: [`add ${a.dst} via ${a.gw} metric 5`],
      op: 'add',
      spec: { dst: a.dst, gateway: a.gw, metric: 5 },
      ipWords: `${a.dst} via ${a.gw} metric 5`,
      errno: 17,
    },
    // --- replace ---
    'replace the gateway of a route': {
      setup: [`add ${a.dst} via ${a.gw} metric 7`],
      op: 'replace',
      spec: { dst: a.dst, gateway: a.gw2, metric: 7 },
      ipWords: `${a.dst} via ${a.gw2} metric 7`,
      expect: { dst: a.dst, gateway: a.gw2, metric: 7 },
    },
    'replace a route that does not exist (creates it)': {
      op: 'replace',
      spec: { dst: a.dst, dev: 'vpn' },
      ipWords: `${a.dst} dev vpn`,
      expect: { dst: a.dst, dev: 'vpn' },
    },
    'replace a route with one through another device': {
      setup: [`add ${a.dst} via ${a.gw}`],
      op: 'replace',
      spec: { dst: a.dst, dev: 'vpn' },
      ipWords: `${a.dst} dev vpn`,
      expect: { dst: a.dst, dev: 'vpn' },
    },
    'replace a unicast route with a blackhole': {
      setup: [`add ${a.dst} via ${a.gw}`],
      op: 'replace',
      spec: { dst: a.dst, type: 'blackhole' },
      ipWords: `blackhole ${a.dst}`,
      expect: { dst: a.dst, type: 6 },
    },
    'replace changes the protocol': {
      setup: [`add ${a.dst} dev vpn proto static`],
      op: 'replace',
      spec: { dst: a.dst, dev: 'vpn', protocol: OUR_PROTOCOL },
      ipWords: `${a.dst} dev vpn proto ${OUR_PROTOCOL}`,
      expect: { dst: a.dst, protocol: OUR_PROTOCOL },
    },
    'replace the default route': {
      op: 'replace',
      spec: { dst: a.def, gateway: a.gw2 },
      ipWords: `default via ${a.gw2}`,
      expect: { dst: a.def, gateway: a.gw2 },
    },
    'replace in a numbered table': {
      setup: [`add ${a.dst} via ${a.gw} table 100`],
      op: 'replace',
      spec: { dst: a.dst, dev: 'vpn', table: 100 },
      ipWords: `${a.dst} dev vpn table 100`,
      expect: { dst: a.dst, dev: 'vpn', table: 100 },
    },
    // --- delete ---
    'delete by destination': {
      setup: [`add ${a.dst} via ${a.gw}`],
      op: 'delete',
      spec: { dst: a.dst },
      ipWords: a.dst,
      expect: { dst: a.dst },
    },
    'delete one of two routes by metric': {
      setup: [`add ${a.dst} via ${a.gw} metric 5`, `add ${a.dst} via ${a.gw2} metric 9`],
      op: 'delete',
      spec: { dst: a.dst, metric: 9 },
      ipWords: `${a.dst} metric 9`,
      expect: { dst: a.dst, metric: 9 },
    },
    'delete by gateway and device': {
      setup: [`add ${a.dst} via ${a.gw} metric 5`],
      op: 'delete',
      spec: { dst: a.dst, gateway: a.gw, dev: 'eth0', metric: 5 },
      ipWords: `${a.dst} via ${a.gw} dev eth0 metric 5`,
      expect: { dst: a.dst },
    },
    'delete in a numbered table only': {
      setup: [`add ${a.dst} via ${a.gw}`, `add ${a.dst} via ${a.gw} table 100`],
      op: 'delete',
      spec: { dst: a.dst, table: 100 },
      ipWords: `${a.dst} table 100`,
      expect: { dst: a.dst, table: 100 },
    },
    'delete matching the protocol': {
      setup: [`add ${a.dst} dev vpn proto ${OUR_PROTOCOL}`],
      op: 'delete',
      spec: { dst: a.dst, protocol: 'redirect-gateway' },
      ipWords: `${a.dst} proto ${OUR_PROTOCOL}`,
      expect: { dst: a.dst },
    },
    "delete with another protocol: ESRCH, and the route stays (never someone else's route)": {
      setup: [`add ${a.dst} dev vpn proto static`],
      op: 'delete',
      spec: { dst: a.dst, protocol: OUR_PROTOCOL },
      ipWords: `${a.dst} proto ${OUR_PROTOCOL}`,
      errno: 3,
    },
    'delete a host route': {
      setup: [`add ${a.host} via ${a.gw}`],
      op: 'delete',
      spec: { dst: a.host },
      ipWords: a.host,
      expect: { dst: hostCidr },
    },
    'delete the default route': {
      op: 'delete',
      spec: { dst: a.def },
      ipWords: 'default',
      expect: { dst: a.def },
    },
    'delete an unreachable route': {
      setup: [`add unreachable ${a.dst}`],
      op: 'delete',
      spec: { dst: a.dst, type: 'unreachable' },
      ipWords: `unreachable ${a.dst}`,
      expect: { dst: a.dst },
    },
    'delete a reject route by destination alone (any type matches)': {
      setup: [`add prohibit ${a.dst}`],
      op: 'delete',
      spec: { dst: a.dst },
      ipWords: a.dst,
      expect: { dst: a.dst, type: 8 },
    },
    'delete a route that is not there: ESRCH': {
      op: 'delete',
      spec: { dst: a.dst },
      ipWords: a.dst,
      errno: 3,
    },
    'delete with a metric that does not match: ESRCH': {
      setup: [`add ${a.dst} via ${a.gw} metric 5`],
      op: 'delete',
      spec: { dst: a.dst, metric: 6 },
      ipWords: `${a.dst} metric 6`,
      errno: 3,
    },
  };

  describe(`route changes, IPv${family}`, () => {
    for (const [name, c] of Object.entries(cases)) {
      it(name, async () => {
        const { diff, after } = await runTwin(family, c);
        if (c.errno !== undefined) {
          expect(diff, 'a failed change changes nothing').toEqual({ added: [], removed: [] });
          return;
        }
        const table = c.expect?.table ?? 254;
        const matching = (r: ComparableRoute) =>
          r.family === family &&
          r.table === table &&
          Object.entries(c.expect ?? {}).every(([k, v]) => r[k as keyof ComparableRoute] === v);
        if (c.op === 'delete') {
          expect(diff.removed.filter(matching), 'the deleted route').toHaveLength(1);
          expect(diff.removed).toHaveLength(1);
          expect(diff.added).toEqual([]);
          expect(after.filter(matching)).toEqual([]);
        } else {
          expect(diff.added.filter(matching), `the new route: ${JSON.stringify(diff)}`).toHaveLength(1);
          expect(diff.added).toHaveLength(1);
          expect(after.filter(matching)).toHaveLength(1);
        }
      });
    }
  });
}

describe('changeRoutes', () => {
  it('applies every change in order and reports each result, like ip -batch -force', async () => {
    const [ours, theirs] = twins;
    const changes = [
      { op: 'add', route: { dst: '10.30.0.0/16', gateway: '192.168.1.1' } },
      { op: 'add', route: { dst: '10.30.0.0/16', gateway: '192.168.1.1' } }, // EEXIST
      { op: 'add', route: { dst: '2001:db8:30::/48', dev: 'vpn', protocol: OUR_PROTOCOL } },
      { op: 'replace', route: { dst: '10.30.0.0/16', gateway: '192.168.1.254' } },
      { op: 'delete', route: { dst: '10.31.0.0/16' } }, // ESRCH
      { op: 'add', route: { dst: '10.32.0.0/16', type: 'blackhole' } },
      { op: 'delete', route: { dst: '0.0.0.0/0' } },
    ] as const;
    const ipCommands = [
      'route add 10.30.0.0/16 via 192.168.1.1',
      'route add 10.30.0.0/16 via 192.168.1.1',
      `route add 2001:db8:30::/48 dev vpn proto ${OUR_PROTOCOL}`,
      'route replace 10.30.0.0/16 via 192.168.1.254',
      'route del 10.31.0.0/16',
      'route add blackhole 10.32.0.0/16',
      'route del default',
    ];
    const nl = await netlink.open({ netns: ours });
    try {
      const results = await nl.changeRoutes(changes.map((c) => ({ op: c.op, route: { ...c.route } })));
      expect(results.map((r) => r.error?.code)).toEqual([
        undefined,
        'EEXIST',
        undefined,
        undefined,
        'ESRCH',
        undefined,
        undefined,
      ]);
      expect(results.map((r) => r.change.route.dst)).toEqual(changes.map((c) => c.route.dst));
      expect(results[1].error).toBeInstanceOf(NetlinkError);
      expect(results[1].error).toMatchObject({ operation: 'addRoute', route: changes[1].route });
      for (const command of ipCommands) await ip(theirs, ...command.split(' ')).catch(() => undefined);
      expect(await snapshotRoutes(ours)).toEqual(await snapshotRoutes(theirs));
      expect(await nl.changeRoutes([])).toEqual([]);
    } finally {
      nl.close();
    }
  });
});
