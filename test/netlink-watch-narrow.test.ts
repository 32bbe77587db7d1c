// EventStream.keepRoutesFor(): the kernel-side filter of route events, against what `ip` did, with a second
// watch without it on the same namespace as the control (it sees every route).
import { describe, expect, it } from 'vitest';
import { InvalidInputError, type RouteInterest, type WatchEvent } from '../src/index.js';
import { collect, isRoute } from './support/events.js';
import { run } from './support/exec.js';
import { ipBatch } from './support/ip.js';
import { createTunClient } from './support/tun-client.js';

const MARKER = '10.99.0.0/24'; // through the interest's device: every watch below keeps it; it comes last
const SERVER = '198.51.100.10';

const routes = (events: WatchEvent[]) =>
  events.flatMap((e) => (e.type === 'route' ? [`${e.action} ${e.route.dst} table ${e.route.table}`] : []));

/**
 * A veth pair nh0-nh1, up, in NS. A nexthop object through the tun device is refused while no process holds it (no
 * carrier). Without IPv6: its link-local and multicast routes through nh0 would come when the carrier does, at a
 * moment of the kernel's choosing, perhaps while a watch below is on.
 */
async function addVeth(ns: string) {
  await ipBatch(ns, ['link add nh0 type veth peer name nh1']);
  const noIpv6 = ['net.ipv6.conf.nh0.disable_ipv6=1', 'net.ipv6.conf.nh1.disable_ipv6=1'];
  await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', ...noIpv6]);
  await ipBatch(ns, ['link set nh0 up', 'link set nh1 up']);
}

/** The route changes two watches saw, the narrowed one and the control, once the marker reached both. */
async function seen(commands: string[], interest: RouteInterest & { dev: string }, veth = false) {
  const { lan, nl } = await createTunClient();
  if (veth) await addVeth(lan.client);
  const narrowed = nl.watch({ events: ['route'] });
  expect(narrowed.keepRoutesFor(interest)).toBe(true);
  const kept = collect(narrowed);
  const all = collect(nl.watch({ events: ['route'] }));
  await ipBatch(lan.client, [...commands, `route add ${MARKER} dev ${interest.dev}`]);
  return {
    kept: routes(await kept.waitFor(isRoute(MARKER))),
    all: routes(await all.waitFor(isRoute(MARKER))),
  };
}

describe('keepRoutesFor', () => {
  it('keeps the routes that can change the path to an address, of the protocol or through the device, and no other', async () => {
    const { kept, all } = await seen(
      [
        'route add 10.1.0.0/16 via 192.168.1.1',
        'route add 198.51.100.0/24 via 192.168.1.1',
        'route add 198.51.100.10/32 via 192.168.1.1',
        'route add 198.51.100.11/32 via 192.168.1.1',
        'route add 10.2.0.0/16 dev vpn',
        'route add 10.3.0.0/16 via 192.168.1.1 proto 77',
        'route add 10.4.0.0/16 nexthop via 192.168.1.1 nexthop via 192.168.1.3',
        'route add 10.5.0.0/16 nexthop via 192.168.1.1 nexthop dev vpn',
        'route add default via 192.168.1.1 table 100',
        'route add 128.0.0.0/1 via 192.168.1.1 table 100',
        'route add 0.0.0.0/1 via 192.168.1.1 table 100',
        'route add 2001:db8:4::/47 dev eth0',
        'route add 2001:db8:6::/47 dev eth0',
        'route add 2001:db8:5::10/128 dev eth0',
        'route add 2001:db8:5::11/128 dev eth0',
        'route add ::/0 dev eth0 table 100',
        'route del 10.1.0.0/16',
        'route del 198.51.100.0/24',
      ],
      { addresses: [SERVER, '2001:db8:5::10'], protocol: 77, dev: 'vpn' },
    );
    expect(kept).toEqual([
      'new 198.51.100.0/24 table main',
      'new 198.51.100.10/32 table main',
      'new 10.2.0.0/16 table main',
      'new 10.3.0.0/16 table main',
      'new 10.5.0.0/16 table main', // one of its paths through vpn
      'new 0.0.0.0/0 table 100',
      'new 128.0.0.0/1 table 100',
      'new 2001:db8:4::/47 table main',
      'new 2001:db8:5::10/128 table main',
      'new ::/0 table 100',
      'delete 198.51.100.0/24 table main',
      `new ${MARKER} table main`,
    ]);
    // The control saw everything, the dropped ones among them.
    const dropped = ['new 10.1.0.0/16', 'new 198.51.100.11/32', 'new 10.4.0.0/16', 'new 0.0.0.0/1'];
    for (const r of [...dropped, 'new 2001:db8:6::/47'])
      expect(all.some((line) => line.startsWith(`${r} `))).toBe(true);
    expect(all.filter((line) => kept.includes(line))).toEqual(kept);
  });

  it("keeps a nexthop object's route through the device, and no other", async () => {
    const { kept } = await seen(
      [
        'nexthop add id 7 via 192.168.1.1 dev eth0',
        'nexthop add id 8 dev nh0',
        'route add 10.6.0.0/16 nhid 7',
        'route add 10.7.0.0/16 nhid 8',
      ],
      { addresses: [SERVER], dev: 'nh0' },
      true,
    );
    expect(kept).toEqual(['new 10.7.0.0/16 table main', `new ${MARKER} table main`]);
  });

  it("keeps a nexthop object's route that does not say its device (nexthop_compat_mode 0): it may leave by it", async () => {
    const { lan, nl } = await createTunClient();
    await addVeth(lan.client);
    await run('ip', ['netns', 'exec', lan.client, 'sysctl', '-qw', 'net.ipv4.nexthop_compat_mode=0']);
    const stream = nl.watch({ events: ['route'] });
    expect(stream.keepRoutesFor({ addresses: [SERVER], dev: 'nh0' })).toBe(true);
    const events = collect(stream);
    await ipBatch(lan.client, [
      'route add 10.1.0.0/16 via 192.168.1.1', // still dropped: the filter is on
      'nexthop add id 7 via 192.168.1.1 dev eth0',
      'route add 10.6.0.0/16 nhid 7',
    ]);
    expect(routes(await events.waitFor(isRoute('10.6.0.0/16')))).toEqual(['new 10.6.0.0/16 table main']);
  });

  it('takes a new interest when called again; past its limit it widens the addresses to prefixes and says so', async () => {
    const { lan, nl } = await createTunClient();
    const stream = nl.watch({ events: ['route'] });
    const events = collect(stream);
    const step = async (commands: string[], marker: string, dev = 'vpn') => {
      await ipBatch(lan.client, [...commands, `route add ${marker} dev ${dev}`]);
      await events.waitFor(isRoute(marker));
    };
    expect(stream.keepRoutesFor({ addresses: [SERVER], dev: 'vpn' })).toBe(true);
    await step(['route add 10.6.0.0/16 via 192.168.1.1', 'route add 198.51.100.0/24 via 192.168.1.1'], '10.91.0.0/24');
    expect(stream.keepRoutesFor({ addresses: ['10.6.0.1'], dev: 'vpn' })).toBe(true);
    await step(['route add 10.6.0.0/24 via 192.168.1.1', 'route add 198.51.100.0/25 via 192.168.1.1'], '10.92.0.0/24');
    // A mesh of a thousand peers in one /22 still fits as it is.
    const mesh = Array.from({ length: 1000 }, (_, i) => `203.0.${112 + (i >> 8)}.${i & 255}`);
    expect(stream.keepRoutesFor({ addresses: mesh })).toBe(true);
    await step(
      ['route add 203.0.113.77/32 via 192.168.1.1', 'route add 203.0.120.0/24 via 192.168.1.1'],
      '203.0.114.0/24',
    );
    // Five thousand peers (10.64.0.1 to 10.83.135.1) are widened: a route near them but with none in it comes
    // too; the routes far from them are still dropped.
    const many = Array.from({ length: 5000 }, (_, i) => `10.${64 + (i >> 8)}.${i & 255}.1`);
    expect(stream.keepRoutesFor({ addresses: many })).toBe(false);
    await step(
      [
        'route add 172.16.0.0/16 via 192.168.1.1',
        'route add 10.90.0.0/16 via 192.168.1.1',
        'route add 10.70.5.128/25 via 192.168.1.1',
      ],
      '10.64.0.0/24',
    );
    // So are a thousand IPv6 peers (2001:db8:1::1, ::3, ::5 and on); routes of the other family are dropped.
    const mesh6 = Array.from({ length: 1000 }, (_, i) => `2001:db8:1::${(2 * i + 1).toString(16)}`);
    expect(stream.keepRoutesFor({ addresses: mesh6 })).toBe(false);
    await step(
      ['route add 2001:db8:2::/48 dev eth0', 'route add 2001:db8:1::2/128 dev eth0', 'route add 10.65.0.0/16 dev eth0'],
      '2001:db8:1::/64',
      'eth0',
    );
    expect(routes(events.events)).toEqual([
      'new 198.51.100.0/24 table main',
      'new 10.91.0.0/24 table main',
      'new 10.6.0.0/24 table main',
      'new 10.92.0.0/24 table main',
      'new 203.0.113.77/32 table main',
      'new 203.0.114.0/24 table main',
      'new 10.70.5.128/25 table main',
      'new 10.64.0.0/24 table main',
      'new 2001:db8:1::2/128 table main',
      'new 2001:db8:1::/64 table main',
    ]);
  });

  it('refuses what is not an interest, and a closed stream', async () => {
    const { nl } = await createTunClient();
    const stream = nl.watch({ events: ['route'] });
    expect(() => stream.keepRoutesFor({ addresses: ['198.51.100.300'] })).toThrow(InvalidInputError);
    expect(() => stream.keepRoutesFor({ addresses: [SERVER], dev: 'x'.repeat(16) })).toThrow(InvalidInputError);
    expect(() => stream.keepRoutesFor({ addresses: [SERVER], protocol: 'nonsense' })).toThrow(InvalidInputError);
    expect(() => stream.keepRoutesFor(null as never)).toThrow(InvalidInputError);
    stream.close();
    expect(() => stream.keepRoutesFor({ addresses: [SERVER] })).toThrow(InvalidInputError);
  });
});
