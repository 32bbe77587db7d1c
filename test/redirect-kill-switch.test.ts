// --kill-switch: fallback routes of ours behind the half-routes refuse what the VPN does not carry when the
// VPN interface is gone (tincd killed) or suspended (tinc's SERVER-down), while the server's exception route
// keeps tinc's own path open; `down` lifts it all exactly. Judged by `ip -j route` and `ip route get`.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { cli, startCliKilledAfter } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { createSeed, pathTo, routeText, SERVER, type Seed } from './support/seed.js';
import { createTun } from './support/tun.js';
import { phaseSources, startCounter, STREAM, streamRounds } from './support/leak-probe.js';
import { NetnsProcess } from './support/tinc.js';
import { netnsExec } from './support/netns.js';
import { policyText, TINC_TRAFFIC } from './support/policy.js';
import { nft } from './support/server-world.js';

let seed: Seed;
let before: string;

beforeEach(async () => {
  seed = await createSeed({ tun: { held: true } });
  before = await routeText(seed.ns);
});

type Entry = { type?: string; dst: string; gateway?: string; dev?: string; metric?: number; table?: string };

/** Our routes as ip shows them: `type dst [via gw] [dev d] [metric m]`, IPv4 then IPv6. */
async function ourRoutes(ns: string): Promise<string[]> {
  const show = async (family: string) =>
    (await ipJson<Entry[]>(ns, family, 'route', 'show', 'proto', '157')).map((r) =>
      [
        r.type ?? 'unicast',
        r.dst,
        r.gateway && `via ${r.gateway}`,
        r.dev && `dev ${r.dev}`,
        r.metric && `metric ${r.metric}`,
      ]
        .filter(Boolean)
        .join(' '),
    );
  return [...(await show('-4')), ...(await show('-6'))];
}

/** What `ip route get` says: 'dev DEV' / 'via GW dev DEV', or 'refused' (IPv4 and IPv6 word it differently). */
async function routeGet(ns: string, address: string): Promise<string> {
  const r = await runStatus('ip', ['-n', ns, 'route', 'get', address]);
  if (r.code !== 0) return /Network is unreachable|No route to host/.test(r.stderr) ? REFUSED : r.stderr.trim();
  return await pathTo(ns, address);
}

const FALLBACK4 = ['unreachable 0.0.0.0/1 metric 65535', 'unreachable 128.0.0.0/1 metric 65535'];
const FALLBACK6 = ['unreachable ::/1 dev lo metric 65535', 'unreachable 8000::/1 dev lo metric 65535'];
const HALVES4 = ['unicast 0.0.0.0/1 dev vpn', 'unicast 128.0.0.0/1 dev vpn'];
const EXCEPTION = `unicast ${SERVER} via 192.168.1.1 dev eth0`;
const REFUSED = 'refused';

/** The table as before the redirect, without what the VPN interface itself brought (it is gone now). */
const withoutVpn = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/dev vpn/.test(l))
    .join('\n');

/**
 * Listeners on addresses of the LAN's router itself, beyond the LAN (IPv4, IPv6): what they hear came out in clear;
 * through the VPN (a tun nobody reads) nothing arrives. `heard` counts each one's datagrams of a phase.
 */
async function listenersInClear(seed: Seed) {
  const targets = ['203.0.113.7', '2001:db8::7'];
  await ip(seed.router, 'link', 'set', 'lo', 'up');
  await ip(seed.router, 'address', 'add', `${targets[0]}/32`, 'dev', 'lo');
  await ip(seed.router, 'address', 'add', `${targets[1]}/128`, 'dev', 'lo', 'nodad');
  const counters = await Promise.all(targets.map((t) => startCounter(seed.router, t, PORT, 120_000)));
  const heard = async (phase: string) => {
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last datagrams' way to the router
    return counters.map((c) => phaseSources(c, phase).length);
  };
  return { targets, heard };
}

const PORT = 7779;

/** Five datagrams naming the phase from a socket bound to eth0 with SO_BINDTODEVICE (what `ping -I eth0` does). */
const BOUND_SENDER = `
import socket, sys
address, port, phase = sys.argv[1:]
s = socket.socket(socket.AF_INET6 if ':' in address else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')
for _ in range(5):
    try:
        s.sendto(phase.encode(), (address, int(port)))
    except OSError:
        pass  # refused: what the kill switch is for
`;

describe('--kill-switch', () => {
  it('adds fallback routes for both families behind the halves, and an IPv4-only redirect blocks IPv6 too', async () => {
    const result = await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    expect(result.changes.map((c) => c.op)).toEqual(['add', 'add', 'add', 'add', 'add', 'add', 'add']);
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...FALLBACK4, ...HALVES4, ...FALLBACK6].sort());
    expect(await routeGet(seed.ns, '203.0.113.7')).toBe('dev vpn');
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, 'fd00:1::5')).toBe('dev eth0'); // the IPv6 LAN still works
    expect(await routeGet(seed.ns, '192.168.1.77')).toBe('dev eth0');
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true })).changes).toEqual([]);
    const status = await redirect.status(seed.vpn, { netns: seed.ns });
    expect([status.active, status.killSwitch, status.blocked, status.problems]).toEqual([true, true, [4, 6], []]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('the VPN interface vanishing (tincd killed) leaves nothing going out in clear but the server', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    await ip(seed.ns, 'link', 'delete', seed.vpn); // what the kernel does when tincd dies
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...FALLBACK4, ...FALLBACK6].sort());
    expect(await routeGet(seed.ns, '203.0.113.7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, '10.1.2.3')).toBe(REFUSED);
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    const status = await cli(['status', seed.vpn, '--netns', seed.ns]);
    expect([status.code, status.stdout.split('\n')[0]]).toEqual([
      3,
      'vpn: not active (the kill switch refuses IPv4 and IPv6)',
    ]);
    expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(withoutVpn(before));
  });

  it('hook down (SERVER-down) keeps the fallback and the exception; hook up brings the halves back', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, family: 'both' });
    const redirected = (await ourRoutes(seed.ns)).sort();
    const suspended = await redirect.suspend(seed.vpn, { netns: seed.ns });
    expect(suspended.changes.map((c) => `${c.op} ${c.route.dst}`)).toEqual([
      'delete 0.0.0.0/1',
      'delete 128.0.0.0/1',
      'delete ::/1',
      'delete 8000::/1',
    ]);
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...FALLBACK4, ...FALLBACK6].sort());
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    const env = { ...process.env, INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, NODE: 'server' };
    const up = await cli(['hook', 'up', '--kill-switch', '--family', 'both', '--netns', seed.ns], { env });
    expect(up.code, up.stderr).toBe(0);
    expect((await ourRoutes(seed.ns)).sort()).toEqual(redirected);
    expect((await cli(['hook', 'down', '--netns', seed.ns], { env })).code).toBe(0);
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...FALLBACK4, ...FALLBACK6].sort());
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it("a kill switch holds a second interface's up refused, its own interface gone too (its tincd killed)", async () => {
    await createTun(seed.ns, { name: 'vpn6' });
    const SERVER6 = '2001:db8:5::10';
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    const fallbacks = async () => (await ourRoutes(seed.ns)).filter((r) => r.startsWith('unreachable')).sort();
    await ip(seed.ns, 'link', 'del', seed.vpn);
    const refused = /^vpn has this namespace's redirect, and there is one per namespace: down vpn first$/;
    await expect(redirect.up('vpn6', SERVER6, { netns: seed.ns, killSwitch: true, family: 6 })).rejects.toThrow(
      refused,
    );
    await expect(redirect.down('vpn6', { netns: seed.ns })).resolves.toMatchObject({ changes: [] });
    // Nothing may go out in clear, IPv6 included.
    expect(await routeGet(seed.ns, '203.0.113.7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect(await fallbacks()).toEqual([...FALLBACK4, ...FALLBACK6].sort());
    await redirect.down(seed.vpn, { netns: seed.ns });
    await redirect.up('vpn6', SERVER6, { netns: seed.ns, killSwitch: true, family: 6 });
    expect(await fallbacks()).toEqual([...FALLBACK4, ...FALLBACK6].sort());
    await redirect.down('vpn6', { netns: seed.ns });
    expect(withoutVpn(await routeText(seed.ns))).toBe(withoutVpn(before));
  });

  it('re-plans under the kill switch find the original paths of adjacent peers (the fallback stops IPv4 lookups)', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    const peers = ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.9'];
    for (const [i, address] of peers.entries()) await redirect.addPeer(seed.vpn, `p${i}`, address, { netns: seed.ns });
    const redirected = (await ourRoutes(seed.ns)).sort();
    expect(redirected.filter((r) => r.includes('via 192.168.1.1')).length).toBe(5);
    await redirect.suspend(seed.vpn, { netns: seed.ns });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    expect((await ourRoutes(seed.ns)).sort()).toEqual(redirected);
    await redirect.down(seed.vpn, { netns: seed.ns });
    for (const [i] of peers.entries()) await redirect.removePeer(seed.vpn, `p${i}`, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('an up without --kill-switch lifts it; hook down without one ends the redirect as before', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns });
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...HALVES4].sort());
    await redirect.suspend(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('changing strategy under it, ten times, lets no datagram out in clear (make before break)', async () => {
    const { targets, heard } = await listenersInClear(seed);
    const stream = (phase: string) =>
      new NetnsProcess(
        'stream',
        seed.ns,
        process.execPath,
        ['-e', STREAM, phase, '60000', ...targets.map((t) => `${t},${PORT}`)],
        {},
      );
    const streamed = async (phase: string, during: (rounds: () => number) => Promise<void>) => {
      const sender = stream(phase);
      await sender.waitForOutput(/ready/);
      await during(() => streamRounds(sender.output));
      await sender.stop('SIGTERM');
      return Number(/sent (\d+)/.exec(sender.output)?.[1]);
    };

    expect(await streamed('direct', () => new Promise((resolve) => setTimeout(resolve, 50)))).toBeGreaterThan(0);
    expect((await heard('direct')).every((n) => n > 0)).toBe(true);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true });
    const sent = await streamed('switching', async (rounds) => {
      // Ten switches, and on (alternating, 200 at most) until the stream has sent beside them: on a loaded
      // machine the sender may get no CPU while ten quick switches run. (Its output is read between switches.)
      const first = rounds();
      for (let i = 1; i <= 10 || (rounds() - first < 20 && i <= 200); i++) {
        await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy: i % 2 ? 'rules' : 'halves' });
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    expect(sent).toBeGreaterThan(10);
    expect(await heard('switching')).toEqual([0, 0]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('crash safety: a down killed at any moment leaves what the next down removes exactly', async () => {
    const args = ['up', seed.vpn, SERVER, '--kill-switch', '--family', 'both', '--netns', seed.ns];
    for (const delay of [40, 60, 80, 100, 120, 140, 160, 200]) {
      expect((await cli(args)).code).toBe(0);
      await startCliKilledAfter(['down', seed.vpn, '--netns', seed.ns], delay).exit;
      const again = await cli(['down', seed.vpn, '--netns', seed.ns]);
      expect(again.code, again.stderr).toBe(0);
      expect(await routeText(seed.ns), `down killed after ${delay} ms`).toBe(before);
    }
    // The moment that matters most, forced: the halves and one fallback route gone, the state still there.
    expect((await cli(args)).code).toBe(0);
    for (const dst of ['0.0.0.0/1', '128.0.0.0/1']) await ip(seed.ns, 'route', 'del', dst, 'dev', seed.vpn);
    await ip(seed.ns, 'route', 'del', 'unreachable', '0.0.0.0/1', 'metric', '65535');
    expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });
});

describe('--kill-switch and sockets bound to the uplink', () => {
  const bound = (targets: string[], phase: string) =>
    Promise.all(targets.map((t) => netnsExec(seed.ns, 'python3', ['-c', BOUND_SENDER, t, String(PORT), phase])));

  for (const strategy of ['halves', 'rules'] as const) {
    it(`${strategy}: IPv6 bound to eth0 is refused, the tunnel up and gone; down lets it out again`, async () => {
      const exactly = await policyText(seed.ns);
      const { targets, heard } = await listenersInClear(seed);
      await bound(targets, 'direct');
      expect(await heard('direct')).toEqual([5, 5]);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
      await bound(targets, 'up');
      expect((await heard('up'))[1]).toBe(0);
      await ip(seed.ns, 'link', 'delete', seed.vpn); // tincd killed
      await bound(targets, 'gone');
      expect((await heard('gone'))[1]).toBe(0);
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await policyText(seed.ns)).toBe(withoutVpn(exactly));
      await bound(targets, 'after');
      expect(await heard('after')).toEqual([5, 5]);
    });

    // The kernel sends an IPv4 packet of a socket bound to a device on-link when routing refuses it: the router
    // here answers ARP for its own address beyond the LAN, as a proxy-ARP router (or an attacker) does for any.
    it.fails(
      `${strategy}: IPv4 bound to eth0 and refused is sent on-link to whoever answers ARP (--lockdown stops it)`,
      async () => {
        const { targets, heard } = await listenersInClear(seed);
        await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
        await bound(targets, 'up');
        expect((await heard('up'))[0]).toBe(0);
      },
    );
  }
});

describe('status: one verdict for one situation, whatever the strategy', () => {
  /** The families our unreachable routes refuse (the fallback halves in main, or our table's defaults). */
  const refusedFamilies = async () => {
    const routes = await Promise.all(
      ['-4', '-6'].map((f) => ipJson<Entry[]>(seed.ns, f, 'route', 'show', 'table', 'all', 'proto', '157')),
    );
    return routes.map((list, i) => (list.some((r) => r.type === 'unreachable') ? [4, 6][i] : 0)).filter(Boolean);
  };
  const rules = async () => [await ipJson(seed.ns, '-4', 'rule', 'show'), await ipJson(seed.ns, '-6', 'rule', 'show')];
  const status = async () => {
    const r = await cli(['status', seed.vpn, '--netns', seed.ns]);
    return { code: r.code, head: r.stdout.split('\n')[0], problems: r.stdout.match(/problem: .*/g) ?? [] };
  };
  const down = async (exactly: string) => {
    expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    expect(await policyText(seed.ns)).toBe(withoutVpn(exactly));
  };

  for (const strategy of ['halves', 'rules'] as const) {
    it(`${strategy}: the VPN interface gone (tincd killed), the kill switch holds: not active, no problem`, async () => {
      const exactly = await policyText(seed.ns);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
      const rulesUp = await rules();
      await ip(seed.ns, 'link', 'delete', seed.vpn);
      expect(await rules()).toEqual(rulesUp);
      expect(await refusedFamilies()).toEqual([4, 6]);
      expect(await routeGet(seed.ns, '203.0.113.7')).toBe(REFUSED);
      expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
      expect(await pathTo(seed.ns, SERVER, ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
      expect(await status()).toEqual({
        code: 3,
        head: 'vpn: not active (the kill switch refuses IPv4 and IPv6)',
        problems: [],
      });
      await down(exactly);
    });

    it(`${strategy}: both protections, the VPN interface gone: the header names what refuses`, async () => {
      const exactly = await policyText(seed.ns);
      const options = { netns: seed.ns, killSwitch: true, lockdown: true, lan: 'block', strategy } as const;
      await redirect.up(seed.vpn, SERVER, options);
      await ip(seed.ns, 'link', 'delete', seed.vpn);
      const { nftables } = JSON.parse(await nft(seed.ns, '-j', 'list', 'tables')) as {
        nftables: { table?: { name: string } }[];
      };
      expect(nftables.flatMap((o) => (o.table ? [o.table.name] : []))).toContain('redirect_gateway_lockdown');
      const api = await redirect.status(seed.vpn, { netns: seed.ns });
      expect([api.holding, api.lockdown?.refusing]).toEqual([true, true]);
      expect(await status()).toEqual({
        code: 3,
        head: "vpn: not active (the kill switch refuses IPv4 and IPv6; the lockdown refuses all but tinc's path and the LAN's gateway)",
        problems: [],
      });
      await down(exactly);
    });

    it(`${strategy}: the VPN interface gone without a kill switch: traffic goes in clear, a problem`, async () => {
      const exactly = await policyText(seed.ns);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, strategy });
      await ip(seed.ns, 'link', 'delete', seed.vpn);
      expect(await refusedFamilies()).toEqual([]);
      expect(await routeGet(seed.ns, '203.0.113.7')).toBe('via 192.168.1.1 dev eth0');
      const { code, problems } = await status();
      expect([code, problems[0]]).toEqual([1, 'problem: the interface vpn is gone']);
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).holding).toBe(false);
      await down(exactly);
    });

    it(`${strategy}: suspended (SERVER-down) under the kill switch: not active, held, no problem`, async () => {
      const exactly = await policyText(seed.ns);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
      await redirect.suspend(seed.vpn, { netns: seed.ns });
      expect(await refusedFamilies()).toEqual([4, 6]);
      expect(await status()).toEqual({
        code: 3,
        head: 'vpn: not active (the kill switch refuses IPv4 and IPv6)',
        problems: [],
      });
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
      expect((await status()).code).toBe(0);
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await policyText(seed.ns)).toBe(exactly);
    });

    it(`${strategy}: the lockdown alone, suspended (tinc-down), then the interface gone: held, no problem`, async () => {
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, strategy });
      await redirect.suspend(seed.vpn, { netns: seed.ns });
      const rulesHeld = await rules();
      await ip(seed.ns, 'link', 'delete', seed.vpn); // tincd gone after its tinc-down
      expect(await rules()).toEqual(rulesHeld);
      expect(await status()).toEqual({
        code: 3,
        head: "vpn: not active (the lockdown refuses all but tinc's path and the private LAN)",
        problems: [],
      });
      expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    });

    for (const protection of ['killSwitch', 'lockdown'] as const) {
      it(`${strategy}, ${protection}: our routes through the VPN deleted while it is up: a problem, up repairs`, async () => {
        const options = { netns: seed.ns, strategy, [protection]: true };
        await redirect.up(seed.vpn, SERVER, options);
        const list = ['route', 'show', 'table', 'all', 'proto', '157', 'dev', seed.vpn];
        const through = await ipJson<Entry[]>(seed.ns, ...list);
        expect(through.length).toBeGreaterThan(0);
        for (const r of through) {
          await ip(seed.ns, 'route', 'del', r.dst, 'dev', seed.vpn, 'table', r.table ?? 'main', 'proto', '157');
        }
        expect(await ip(seed.ns, 'link', 'show', seed.vpn, 'up')).not.toBe('');
        const missing = {
          code: 1,
          problems: [
            'problem: routes of ours through vpn are missing while it is up, and what they carry is refused: ' +
              '`up` again puts them back, or a follower (`up --follow`) does',
          ],
        };
        expect(await status()).toMatchObject(missing);
        const holding = async () => (await redirect.status(seed.vpn, { netns: seed.ns })).holding;
        expect(await holding()).toBe(false);
        // The interface down (the kernel takes every route through it), the protection holds as with it gone.
        await ip(seed.ns, 'link', 'set', seed.vpn, 'down');
        expect(await status()).toMatchObject({ code: 3, problems: [] });
        expect(await holding()).toBe(true);
        await ip(seed.ns, 'link', 'set', seed.vpn, 'up');
        expect(await status()).toMatchObject(missing);
        await redirect.up(seed.vpn, SERVER, options);
        expect(await status()).toMatchObject({ code: 0, problems: [] });
        await redirect.down(seed.vpn, { netns: seed.ns });
      });
    }

    it(`${strategy}: the lockdown alone, its table deleted, the VPN interface gone: traffic in clear, a problem`, async () => {
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, strategy });
      await nft(seed.ns, 'delete', 'table', 'inet', 'redirect_gateway_lockdown');
      await ip(seed.ns, 'link', 'delete', seed.vpn);
      expect(await routeGet(seed.ns, '203.0.113.7')).toBe('via 192.168.1.1 dev eth0');
      expect(await status()).toMatchObject({
        code: 1,
        head: 'vpn: not active',
        problems: expect.arrayContaining([
          'problem: the interface vpn is gone',
          "problem: the lockdown's table inet redirect_gateway_lockdown is missing",
        ]),
      });
      await redirect.down(seed.vpn, { netns: seed.ns });
    });

    it(`${strategy}: a kill switch's IPv6 refusals deleted behind our back: IPv6 goes in clear, a problem`, async () => {
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, killSwitch: true, strategy });
      const list = await ipJson<Entry[]>(seed.ns, '-6', 'route', 'show', 'table', 'all', 'proto', '157');
      for (const refusal of list.filter((r) => r.type === 'unreachable')) {
        const where = ['table', refusal.table ?? 'main', 'metric', String(refusal.metric), 'proto', '157'];
        await ip(seed.ns, '-6', 'route', 'del', 'unreachable', refusal.dst, ...where);
      }
      expect(await routeGet(seed.ns, '2001:db8::7')).toMatch(/dev eth0$/);
      expect((await status()).problems).toEqual(['problem: the routes refusing IPv6 outside the VPN are missing']);
      await redirect.down(seed.vpn, { netns: seed.ns });
    });
  }
});

describe('--block-ipv6', () => {
  it('refuses IPv6 beyond the LAN while an IPv4-only redirect is active; down lifts it', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, blockIpv6: true });
    expect((await ourRoutes(seed.ns)).sort()).toEqual([EXCEPTION, ...HALVES4, ...FALLBACK6].sort());
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect(await routeGet(seed.ns, 'fd00:1::5')).toBe('dev eth0');
    expect(await routeGet(seed.ns, '203.0.113.7')).toBe('dev vpn');
    const status = await cli(['status', seed.vpn, '--netns', seed.ns]);
    expect([status.code, status.stdout.split('\n')[0]]).toEqual([
      0,
      `vpn: active, router style, IPv4, server ${SERVER}, IPv6 blocked`,
    ]);
    expect((await redirect.up(seed.vpn, SERVER, { netns: seed.ns, blockIpv6: true })).changes).toEqual([]);
    // tinc's SERVER-down ends a redirect without a kill switch, its IPv6 block too.
    await redirect.suspend(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('adds nothing where IPv6 is redirected anyway', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, blockIpv6: true, family: 'both' });
    expect((await ourRoutes(seed.ns)).filter((r) => r.startsWith('unreachable'))).toEqual([]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('the CLI: up --block-ipv6, down', async () => {
    const up = await cli(['up', seed.vpn, SERVER, '--block-ipv6', '--netns', seed.ns]);
    expect(up.code, up.stderr).toBe(0);
    expect(await routeGet(seed.ns, '2001:db8::7')).toBe(REFUSED);
    expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });
});
