// Errors: one NetlinkError with errno, code, operation, route and a message; InvalidInputError for bad
// input, with nothing sent to the kernel. Every kernel error is checked against what ip gets for the same
// request, and the routing table must be unchanged after every failure.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, netlink, type RouteSpec } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { errnoOfIpMessage, extackOfIpMessage } from './support/errors.js';
import { runAsNobody } from './support/exec.js';
import { ip } from './support/ip.js';
import type { Lan } from './support/lan.js';
import { worldReadableCopy } from './support/package.js';
import { snapshotRoutes } from './support/routes.js';
import { createTunClient } from './support/tun-client.js';

let lan: Lan;
let nl: RouteSocket;

beforeEach(async () => {
  ({ lan, nl } = await createTunClient());
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in result)) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  expect(result.error).toBeInstanceOf(Error);
  return result.error as Error;
}

/**
 * Our error and ip's for the same request must agree: the same errno where ip prints strerror text
 * ("RTNETLINK answers: File exists"), the same kernel words where ip prints the extended ack instead
 * ("Error: Nexthop has invalid gateway.").
 */
async function expectSameErrorAsIp(error: Error, ipArgs: string[]): Promise<void> {
  const ipFailure = await ip(lan.client, ...ipArgs).then(
    () => {
      throw new Error(`ip ${ipArgs.join(' ')} succeeded where we failed`);
    },
    (e: Error) => e.message,
  );
  expect(error).toBeInstanceOf(NetlinkError);
  const extack = extackOfIpMessage(ipFailure);
  if (extack) {
    expect((error as NetlinkError).extack, `ip said: ${ipFailure}`).toContain(extack);
    expect(error.message).toContain(extack);
  } else {
    expect((error as NetlinkError).errno, `ip said: ${ipFailure}`).toBe(errnoOfIpMessage(ipFailure));
  }
}

for (const family of [4, 6] as const) {
  const a =
    family === 4
      ? { dst: '10.20.0.0/16', gw: '192.168.1.1', far: '203.0.113.1', host: '198.51.100.7' }
      : { dst: '2001:db8:20::/48', gw: 'fd00:1::1', far: '2001:db8:ff::1', host: '2001:db8:99::7' };
  const f = `-${family}`;

  describe(`kernel errors, IPv${family}`, () => {
    it('EEXIST on a duplicate add, naming the route', async () => {
      const spec: RouteSpec = { dst: a.dst, gateway: a.gw, metric: 7 };
      await nl.addRoute(spec);
      const before = await snapshotRoutes(lan.client);
      const error = await rejection(nl.addRoute({ ...spec }));
      expect(error).toMatchObject({
        name: 'NetlinkError',
        errno: 17,
        code: 'EEXIST',
        operation: 'addRoute',
        route: spec,
      });
      expect(error.message).toContain(a.dst);
      expect(error.message).toMatch(/exists/i);
      await expectSameErrorAsIp(error, [f, 'route', 'add', a.dst, 'via', a.gw, 'metric', '7']);
      expect(await snapshotRoutes(lan.client)).toEqual(before);
    });

    it("an unreachable gateway: the same error as ip (ENETUNREACH for IPv4), with the kernel's reason", async () => {
      const before = await snapshotRoutes(lan.client);
      const spec = { dst: a.dst, gateway: a.far };
      const error = await rejection(nl.addRoute(spec));
      expect(error).toMatchObject({ name: 'NetlinkError', operation: 'addRoute', route: spec });
      if (family === 4) {
        expect(error).toMatchObject({ errno: 101, code: 'ENETUNREACH' });
        expect(error.message).toMatch(/invalid gateway/i); // the kernel's extended ack
      }
      expect(error.message).toContain(a.dst);
      await expectSameErrorAsIp(error, [f, 'route', 'add', a.dst, 'via', a.far]);
      await expect(rejection(nl.replaceRoute(spec))).resolves.toMatchObject({
        errno: (error as NetlinkError).errno,
        operation: 'replaceRoute',
      });
      expect(await snapshotRoutes(lan.client)).toEqual(before);
    });

    it('ESRCH on deleting a route that is not there', async () => {
      const before = await snapshotRoutes(lan.client);
      for (const spec of [
        { dst: a.dst },
        { dst: a.host, table: 100 },
        { dst: a.dst, gateway: a.gw, metric: 3 },
      ] as RouteSpec[]) {
        const error = await rejection(nl.deleteRoute(spec));
        expect(error).toMatchObject({
          name: 'NetlinkError',
          errno: 3,
          code: 'ESRCH',
          operation: 'deleteRoute',
          route: spec,
        });
        expect(error.message).toContain(spec.dst);
      }
      await expectSameErrorAsIp(await rejection(nl.deleteRoute({ dst: a.dst })), [f, 'route', 'del', a.dst]);
      expect(await snapshotRoutes(lan.client)).toEqual(before);
    });

    it('ENODEV naming a device that does not exist, for every operation', async () => {
      const before = await snapshotRoutes(lan.client);
      for (const op of ['addRoute', 'replaceRoute', 'deleteRoute'] as const) {
        const error = await rejection(nl[op]({ dst: a.dst, dev: 'nosuch0' }));
        expect(error).toMatchObject({ name: 'NetlinkError', errno: 19, code: 'ENODEV', operation: op });
        expect(error.message).toContain('nosuch0');
      }
      const listing = await rejection(nl.listRoutes({ family, dev: 'nosuch0' }));
      expect(listing).toMatchObject({ code: 'ENODEV' });
      expect(listing.message).toContain('nosuch0');
      // ip refuses it too (before asking the kernel, as we do).
      await expect(ip(lan.client, f, 'route', 'add', a.dst, 'dev', 'nosuch0')).rejects.toThrow(
        /Cannot find device "nosuch0"/,
      );
      expect(await snapshotRoutes(lan.client)).toEqual(before);
    });

    it('EINVAL and friends from the kernel come through with its words', async () => {
      // A prefsrc that is not an address of ours: the kernel refuses (EINVAL, "Invalid prefsrc address").
      const src = family === 4 ? '192.0.2.99' : '2001:db8:77::1';
      const error = await rejection(nl.addRoute({ dst: a.dst, dev: 'eth0', prefsrc: src }));
      await expectSameErrorAsIp(error, [f, 'route', 'add', a.dst, 'dev', 'eth0', 'src', src]);
      expect(error.message.length).toBeGreaterThan(10);
    });
  });
}

describe('invalid input (InvalidInputError, nothing sent)', () => {
  const bad: [string, RouteSpec][] = [
    ['a bad address', { dst: '10.0.0.300/24' }],
    ['a bad IPv6 address', { dst: '2001:db8::g/64' }],
    ['host bits set (IPv4)', { dst: '10.1.2.3/16', dev: 'eth0' }],
    ['host bits set (IPv6)', { dst: '2001:db8::1/32', dev: 'eth0' }],
    ['a prefix length too long', { dst: '10.0.0.0/33' }],
    ['an empty destination', { dst: '' }],
    ['"default" instead of a prefix', { dst: 'default' }],
    ['a bad gateway', { dst: '10.20.0.0/16', gateway: '192.168.1' }],
    ['a 16-byte interface name', { dst: '10.20.0.0/16', dev: 'abcdefghijklmnop' }],
    ['an interface name with a slash', { dst: '10.20.0.0/16', dev: 'eth/0' }],
    ['a negative metric', { dst: '10.20.0.0/16', dev: 'eth0', metric: -1 }],
    ['a fractional metric', { dst: '10.20.0.0/16', dev: 'eth0', metric: 1.5 }],
    ['a metric over 32 bits', { dst: '10.20.0.0/16', dev: 'eth0', metric: 2 ** 32 }],
    ['an unknown table name', { dst: '10.20.0.0/16', dev: 'eth0', table: 'nosuch' as 'main' }],
    ['an unknown protocol', { dst: '10.20.0.0/16', dev: 'eth0', protocol: 'nosuch' }],
    ['a protocol over 255', { dst: '10.20.0.0/16', dev: 'eth0', protocol: 256 }],
    ['an unknown route type', { dst: '10.20.0.0/16', type: 'nosuch' }],
    ['a prefsrc of the other family', { dst: '10.20.0.0/16', dev: 'eth0', prefsrc: 'fd00:1::2' }],
    ['an unknown field', { dst: '10.20.0.0/16', dev: 'eth0', gw: '192.168.1.1' } as unknown as RouteSpec],
  ];

  for (const [what, spec] of bad) {
    it(`rejects ${what}`, async () => {
      const before = await snapshotRoutes(lan.client);
      for (const op of ['addRoute', 'replaceRoute', 'deleteRoute'] as const) {
        const error = await rejection(nl[op](spec));
        expect(error, `${op} ${JSON.stringify(spec)}`).toBeInstanceOf(InvalidInputError);
        expect(error).not.toBeInstanceOf(NetlinkError);
        expect(error.message).toMatch(/^invalid /);
      }
      expect(await snapshotRoutes(lan.client)).toEqual(before);
    });
  }

  it('rejects a non-object route', async () => {
    for (const spec of [null, undefined, 'x', 42]) {
      await expect(nl.addRoute(spec as unknown as RouteSpec)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });

  it('sends nothing when any change in a batch is invalid, not even the valid ones before it', async () => {
    const before = await snapshotRoutes(lan.client);
    const error = await rejection(
      nl.changeRoutes([
        { op: 'add', route: { dst: '10.20.0.0/16', gateway: '192.168.1.1' } },
        { op: 'add', route: { dst: '10.21.0.0/16', dev: 'abcdefghijklmnop' } },
      ]),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(await snapshotRoutes(lan.client)).toEqual(before);
    // ...whereas the kernel's refusal of one change does not stop the others (each has its own result).
    const results = await nl.changeRoutes([
      { op: 'add', route: { dst: '10.20.0.0/16', gateway: '192.168.1.1' } },
      { op: 'delete', route: { dst: '10.21.0.0/16' } },
    ]);
    expect(results.map((r) => r.error?.code)).toEqual([undefined, 'ESRCH']);
  });

  it('rejects bad namespace names and options when opening', async () => {
    for (const netns of ['', '..', 'a/b', 'x\0y', '/run/netns/../../etc']) {
      await expect(netlink.open({ netns }), JSON.stringify(netns)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(netlink.open({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('fails calls on a closed socket, and close is idempotent', async () => {
    const s = await netlink.open({ netns: lan.client });
    s.close();
    s.close();
    await expect(s.listRoutes()).rejects.toThrow(/closed/);
    await expect(s.addRoute({ dst: '10.20.0.0/16', dev: 'eth0' })).rejects.toThrow();
    expect(await ip(lan.client, 'route', 'show', '10.20.0.0/16')).toBe('');
  });
});

describe('EPERM without CAP_NET_ADMIN', () => {
  // A child node process as nobody, with no capabilities, in the runner's own namespace.
  const script = `
    import { netlink } from './pkg/dist/index.js';
    const out = {};
    const nl = await netlink.open();
    out.listed = (await nl.listRoutes({ family: 4 })).length;
    for (const [op, spec] of [
      ['addRoute', { dst: '198.51.100.0/24', dev: 'lo' }],
      ['replaceRoute', { dst: '198.51.100.0/24', dev: 'lo' }],
      ['deleteRoute', { dst: '203.0.113.0/24' }],
    ]) {
      try {
        await nl[op](spec);
        out[op] = { ok: true };
      } catch (e) {
        out[op] = { name: e.name, errno: e.errno, code: e.code, operation: e.operation, message: e.message };
      }
    }
    nl.close();
    try {
      await netlink.open({ netns: process.argv[2] });
      out.open = { ok: true };
    } catch (e) {
      out.open = { name: e.name, code: e.code, message: e.message };
    }
    console.log(JSON.stringify(out));
    process.exit(out.addRoute.code === 'EPERM' ? 1 : 0);
  `;

  it('is refused by the kernel with EPERM, and the table does not change', async () => {
    // The runner's namespace is shared with the other test files: this test only reads it.
    const before = await snapshotRoutes(null);
    const main = await worldReadableCopy(script);
    const child = await runAsNobody(process.execPath, [main, lan.client]);
    expect(child.stderr).toBe('');
    // The script exits with 1 when addRoute failed with EPERM (and 0 if it succeeded).
    expect(child.code, child.stdout).toBe(1);
    const out = JSON.parse(child.stdout);
    expect(out.listed).toBe(before.filter((r) => r.family === 4 && r.table === 254).length); // reading is allowed
    for (const op of ['addRoute', 'replaceRoute', 'deleteRoute']) {
      expect(out[op], op).toMatchObject({ name: 'NetlinkError', errno: 1, code: 'EPERM', operation: op });
      expect(out[op].message).toMatch(/not permitted/i);
    }
    // Entering another namespace needs CAP_SYS_ADMIN: refused too, as a NetlinkError.
    expect(out.open).toMatchObject({ name: 'NetlinkError', code: 'EPERM' });
    expect(await snapshotRoutes(null)).toEqual(before);
  });
});
