// listAddresses, addAddress, deleteAddress against iproute2, by twins: our call in one namespace, the same
// `ip addr` command in the other; `ip -j addr show` of the two must be identical, and listAddresses must say
// what `ip -j addr show` says.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, type Address, type AddressSpec } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip, ipJson } from './support/ip.js';
import { netnsExec } from './support/netns.js';
import { expectSameOutcome, outcome } from './support/outcome.js';
import { createTwinClients } from './support/tun-client.js';

let twins: [string, string];
let nl: RouteSocket;

beforeEach(async () => {
  ({ twins, nl } = await createTwinClients());
});

interface IpLink {
  ifindex: number;
  ifname: string;
  addr_info: Record<string, string | number | boolean>[];
}

const IP_FLAGS = [
  'secondary',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'deprecated',
  'tentative',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'stable-privacy',
];

/** ip's view as our Address objects: ip says "dynamic" for what is not permanent, "home" for homeaddress. */
async function ipAddresses(ns: string): Promise<Address[]> {
  const links = await ipJson<IpLink[]>(ns, 'addr', 'show');
  return links.flatMap((l) =>
    l.addr_info.map((a) => {
      const flags = IP_FLAGS.filter((f) => a[f] === true).map((f) => (f === 'home' ? 'homeaddress' : f));
      if (a.temporary === true) flags.push('secondary');
      if (a.dynamic !== true) flags.push('permanent');
      const address: Address = {
        family: a.family === 'inet6' ? 6 : 4,
        dev: l.ifname,
        index: l.ifindex,
        local: String(a.local),
        prefixlen: Number(a.prefixlen),
        scope: String(a.scope),
        flags,
        validLifetime: Number(a.valid_life_time),
        preferredLifetime: Number(a.preferred_life_time),
      };
      if (a.label !== undefined) address.label = String(a.label);
      if (a.address !== undefined) address.address = String(a.address);
      if (a.broadcast !== undefined) address.broadcast = String(a.broadcast);
      return address;
    }),
  );
}

/** In one order (ip lists by link, the kernel by family), flags sorted. */
const comparable = (list: Address[]) =>
  list
    .map((a) => ({ ...a, flags: [...a.flags].sort() }))
    .sort((a, b) => a.index - b.index || a.family - b.family || (a.local < b.local ? -1 : a.local > b.local ? 1 : 0));

async function both(spec: AddressSpec, ipWords: string, op: 'add' | 'del' = 'add'): Promise<void> {
  const ours = await outcome(op === 'add' ? nl.addAddress(spec) : nl.deleteAddress(spec));
  const theirs = await outcome(ip(twins[1], 'addr', op, ...ipWords.split(' ')));
  expectSameOutcome(ours, theirs as Error | undefined);
}

async function expectTwinsAlike(): Promise<void> {
  expect(await ipJson(twins[0], 'addr', 'show')).toEqual(await ipJson(twins[1], 'addr', 'show'));
}

const adds: [AddressSpec, string][] = [
  [{ dev: 'eth0', address: '172.16.1.2/16' }, '172.16.1.2/16 dev eth0'],
  [{ dev: 'eth0', address: '172.16.1.3/16' }, '172.16.1.3/16 dev eth0'], // a secondary
  [{ dev: 'eth0', address: '10.9.0.1', peer: '10.9.0.2/32' }, '10.9.0.1 peer 10.9.0.2/32 dev eth0'],
  [
    { dev: 'eth0', address: '192.0.2.5/24', broadcast: '+', label: 'eth0:1' },
    '192.0.2.5/24 brd + dev eth0 label eth0:1',
  ],
  [
    { dev: 'eth0', address: '203.0.113.9/24', broadcast: '203.0.113.255', noprefixroute: true },
    '203.0.113.9/24 brd 203.0.113.255 dev eth0 noprefixroute',
  ],
  [{ dev: 'eth0', address: '127.1.0.1/16' }, '127.1.0.1/16 dev eth0'], // scope host, as ip chooses
  [{ dev: 'eth0', address: '2001:db8:7::5/64', nodad: true }, '2001:db8:7::5/64 dev eth0 nodad'],
  [
    { dev: 'eth0', address: 'fd00:7::5/64', nodad: true, noprefixroute: true },
    'fd00:7::5/64 dev eth0 nodad noprefixroute',
  ],
];

describe('addAddress', () => {
  it('adds what ip addr add adds (IPv4 with peer, broadcast, label; IPv6 nodad)', async () => {
    await expectTwinsAlike();
    for (const [spec, words] of adds) await both(spec, words);
    await expectTwinsAlike();
  });

  it('refuses an address that exists (EEXIST), as ip does', async () => {
    await both(adds[0][0], adds[0][1]);
    await both(adds[0][0], adds[0][1]);
    await expect(nl.addAddress(adds[0][0])).rejects.toMatchObject({ code: 'EEXIST', operation: 'addAddress' });
    await expectTwinsAlike();
  });

  it('fails with ENODEV for a missing device', async () => {
    await expect(nl.addAddress({ dev: 'nosuch0', address: '172.16.1.2/16' })).rejects.toMatchObject({ code: 'ENODEV' });
  });

  const invalid: [string, AddressSpec][] = [
    ['no device', { address: '172.16.1.2/16' } as AddressSpec],
    ['a bad address', { dev: 'eth0', address: '172.16.1.256/16' }],
    ['a bad length', { dev: 'eth0', address: '172.16.1.2/33' }],
    ['a peer of the other family', { dev: 'eth0', address: '10.9.0.1', peer: 'fd00::1' }],
    ['an IPv6 broadcast', { dev: 'eth0', address: 'fd00::1/64', broadcast: 'fd00::ff' }],
    ['nodad on IPv4', { dev: 'eth0', address: '10.9.0.1/24', nodad: true }],
    ['a label of another device', { dev: 'eth0', address: '10.9.0.1/24', label: 'vpn:1' }],
    ['an unknown field', { dev: 'eth0', address: '10.9.0.1/24', mtu: 3 } as AddressSpec],
    ['an unknown scope', { dev: 'eth0', address: '10.9.0.1/24', scope: 'planet' }],
  ];
  it.each(invalid)('rejects %s before anything is sent', async (_, spec) => {
    await expect(nl.addAddress(spec)).rejects.toBeInstanceOf(InvalidInputError);
    await expectTwinsAlike();
  });
});

describe('listAddresses', () => {
  it('equals ip -j addr show, field by field, filtered by family and device', async () => {
    for (const [spec, words] of adds) await both(spec, words);
    const all = comparable(await ipAddresses(twins[0]));
    expect(comparable(await nl.listAddresses())).toEqual(all);
    expect(comparable(await nl.listAddresses({ family: 6 }))).toEqual(all.filter((a) => a.family === 6));
    expect(comparable(await nl.listAddresses({ family: 4, dev: 'eth0' }))).toEqual(
      all.filter((a) => a.family === 4 && a.dev === 'eth0'),
    );
    expect(await nl.listAddresses({ dev: 'nosuch0' })).toEqual([]);
  });
});

describe('deleteAddress', () => {
  it('deletes what ip addr del deletes, and refuses a missing one as ip does (EADDRNOTAVAIL)', async () => {
    for (const [spec, words] of adds) await both(spec, words);
    await both({ dev: 'eth0', address: '10.9.0.1', peer: '10.9.0.2/32' }, '10.9.0.1 peer 10.9.0.2/32 dev eth0', 'del');
    await both({ dev: 'eth0', address: '2001:db8:7::5/64' }, '2001:db8:7::5/64 dev eth0', 'del');
    await both({ dev: 'eth0', address: '198.51.100.77/24' }, '198.51.100.77/24 dev eth0', 'del');
    await expectTwinsAlike();
    await expect(nl.deleteAddress({ dev: 'eth0', address: '198.51.100.77/24' })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
      operation: 'deleteAddress',
    });
  });

  for (const promote of [0, 1]) {
    it(`deletes a primary IPv4 address with promote_secondaries=${promote} as the kernel does`, async () => {
      for (const ns of twins)
        await netnsExec(ns, 'sysctl', ['-qw', `net.ipv4.conf.eth0.promote_secondaries=${promote}`]);
      for (const [spec, words] of adds.slice(0, 2)) await both(spec, words);
      await both({ dev: 'eth0', address: '172.16.1.2/16' }, '172.16.1.2/16 dev eth0', 'del');
      await expectTwinsAlike();
      const left = (await nl.listAddresses({ family: 4, dev: 'eth0' })).map((a) => a.local);
      // Without promotion the secondary goes with its primary; with it, the secondary becomes the primary.
      expect(left.includes('172.16.1.3')).toBe(promote === 1);
      expect(left).not.toContain('172.16.1.2');
    });
  }
});
