// Address text: ours must be exactly what ip prints (inet_ntop's canonical form, RFC 5952 for IPv6),
// whatever form the input took.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip, ipBatch } from './support/ip.js';
import type { Lan } from './support/lan.js';
import { expectSameRoutes, ipRoutes } from './support/routes.js';
import { createTunClient } from './support/tun-client.js';

let lan: Lan;
let nl: RouteSocket;

beforeEach(async () => {
  ({ lan, nl } = await createTunClient());
});

// Prefixes whose text is easy to get wrong: zero runs of equal length (the leftmost is compressed), a
// single zero word (never compressed), embedded IPv4 (mapped and compatible), /1 halves, host routes.
const tricky6 = [
  '2001:db8::/32',
  '2001:db8:0:1::/64',
  '2001:db8::1:0:0:1/128',
  'fd00::1:0:0:0/80',
  'fd00:1:2:3:4:5:6:0/112',
  '2001:db8:1:0:1::/80',
  '::ffff:0.0.0.0/96',
  '::ffff:192.0.2.0/120',
  '::192.0.2.0/120',
  '64:ff9b::/96',
  '::/1',
  '8000::/1',
  'fd00:abcd:ef01:2345:6789:abcd:ef01:2345/128',
  'fd00:0:0:0:0:0:0:100/128',
];
const tricky4 = [
  '0.0.0.0/1',
  '128.0.0.0/1',
  '198.51.100.255/32',
  '203.0.113.128/25',
  '10.0.0.0/8',
  '192.0.2.1/32',
  '172.16.0.0/12',
];

describe('address text', () => {
  it('lists tricky IPv6 prefixes, gateways and sources exactly as ip prints them', async () => {
    await ipBatch(lan.client, [
      ...tricky6.map((p) => `route add ${p} dev vpn`),
      'route add 2001:db8:5::/48 via fd00:1::a:0:0:1',
      'route add 2001:db8:6::/48 dev eth0 src fd00:1::2',
      'route add 2001:db8:7::/48 via fe80::1 dev eth0',
    ]);
    const ours = await nl.listRoutes({ family: 6 });
    expectSameRoutes(ours, await ipRoutes(lan.client, { family: 6 }));
    // And ip's text is what RFC 5952 says (so that the comparison above is not between two wrong answers).
    const dsts = new Set(ours.map((r) => r.dst));
    for (const p of [
      '2001:db8::1:0:0:1/128',
      'fd00::1:0:0:0/80',
      'fd00:1:2:3:4:5:6:0/112',
      '::ffff:0.0.0.0/96',
      '64:ff9b::/96',
      'fd00::100/128',
    ]) {
      expect(dsts, p).toContain(p);
    }
    expect(ours.find((r) => r.dst === '2001:db8:5::/48')?.gateway).toBe('fd00:1::a:0:0:1');
    expect(ours.find((r) => r.dst === '2001:db8:7::/48')?.gateway).toBe('fe80::1');
  });

  it('lists tricky IPv4 prefixes exactly as ip prints them', async () => {
    await ipBatch(
      lan.client,
      tricky4.map((p) => `route add ${p} dev vpn`),
    );
    const ours = await nl.listRoutes({ family: 4 });
    expectSameRoutes(ours, await ipRoutes(lan.client, { family: 4 }));
    expect(ours.map((r) => r.dst)).toEqual(expect.arrayContaining(tricky4));
  });

  it('accepts any valid spelling as input and stores the canonical route', async () => {
    const spellings: [input: string, canonical: string, gateway: string, canonicalGateway: string][] = [
      ['2001:DB8:20::/48', '2001:db8:20::/48', 'FD00:1::1', 'fd00:1::1'],
      [
        '2001:0db8:0021:0000:0000:0000:0000:0000/48',
        '2001:db8:21::/48',
        'fd00:0001:0000:0000:0000:0000:0000:0001',
        'fd00:1::1',
      ],
      ['2001:db8:22:0::/64', '2001:db8:22::/64', 'fd00:1:0::a:0:0:1', 'fd00:1::a:0:0:1'],
      ['2001:db8:23::', '2001:db8:23::/128', 'fd00:1::1', 'fd00:1::1'],
    ];
    for (const [input, canonical, gateway, canonicalGateway] of spellings) {
      await nl.addRoute({ dst: input, gateway });
      const shown = JSON.parse(await ip(lan.client, '-j', '-6', 'route', 'show', canonical.replace(/\/128$/, '')));
      expect(shown, input).toHaveLength(1);
      expect(shown[0].gateway).toBe(canonicalGateway);
      const ours = (await nl.listRoutes({ family: 6 })).find((r) => r.dst === canonical);
      expect(ours, input).toMatchObject({ dst: canonical, gateway: canonicalGateway });
      await nl.deleteRoute({ dst: input, gateway });
      expect(
        (await nl.listRoutes({ family: 6 })).find((r) => r.dst === canonical),
        `${input} deleted`,
      ).toBeUndefined();
    }
    expectSameRoutes(await nl.listRoutes(), await ipRoutes(lan.client, {}));
  });

  it('gives getRoute answers in the same text as ip', async () => {
    await ip(lan.client, 'route', 'add', '2001:db8::1:0:0:0/112', 'via', 'fd00:1::a:0:0:1');
    const r = await nl.getRoute('2001:DB8::1:0:0:5');
    expect(r).toMatchObject({ dst: '2001:db8::1:0:0:5/128', gateway: 'fd00:1::a:0:0:1', prefsrc: 'fd00:1::2' });
    const fib = await nl.getRoute('2001:0db8:0000:0000:0001:0000:0000:0005', { fibMatch: true });
    expect(fib.dst).toBe('2001:db8:0:0:1::/112'); // the longest zero run is compressed, not the first
  });

  it('rejects ambiguous or malformed spellings', async () => {
    for (const dst of [
      '010.0.0.0/8',
      '10.0.0/8',
      '10.0.0.0/08x',
      '2001:db8:::/48',
      '2001:db8::/48/1',
      '::ffff:1.2.3/96',
      ' 10.0.0.0/8',
      '10.0.0.0/8 ',
    ]) {
      await expect(nl.addRoute({ dst, dev: 'vpn' }), JSON.stringify(dst)).rejects.toBeInstanceOf(InvalidInputError);
    }
  });
});
