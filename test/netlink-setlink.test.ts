// setLink against iproute2, by twins: our call in one namespace, `ip link set` in the other; `ip -j link show`
// of the two must be identical afterwards, and the outcome (success, or the same errno) the same.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, type LinkSettings } from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { ip, ipJson } from './support/ip.js';
import { expectSameOutcome, outcome } from './support/outcome.js';
import { createTwinClients } from './support/tun-client.js';

let twins: [string, string];
let nl: RouteSocket;

beforeEach(async () => {
  ({ twins, nl } = await createTwinClients());
});

/** ip's view of the links without what the twins cannot share (counters are not shown without -s). */
async function links(ns: string): Promise<unknown> {
  return ipJson(ns, 'link', 'show');
}

const cases: [string, string, LinkSettings, string][] = [
  ['down', 'eth0', { up: false }, 'eth0 down'],
  ['the tun down', 'vpn', { up: false }, 'vpn down'],
  ['an MTU', 'eth0', { mtu: 1400 }, 'eth0 mtu 1400'],
  ['up and an MTU at once', 'vpn', { up: true, mtu: 1280 }, 'vpn up mtu 1280'], // a tun without a reader: no carrier
  ['an MTU the device refuses (EINVAL)', 'eth0', { mtu: 10 }, 'eth0 mtu 10'],
];

describe('setLink', () => {
  it.each(cases)('does what ip link set does: %s', async (_, dev, settings, words) => {
    const ours = await outcome(nl.setLink(dev, settings));
    const theirs = await outcome(ip(twins[1], 'link', 'set', ...words.split(' ')));
    expectSameOutcome(ours, theirs as Error | undefined);
    if (theirs) expect((ours as NetlinkError).operation).toBe('setLink');
    expect(_.includes('EINVAL')).toBe(theirs !== undefined);
    expect(await links(twins[0])).toEqual(await links(twins[1]));
    const link = await nl.getLink(dev);
    if (!theirs && settings.up !== undefined) expect(link?.up).toBe(settings.up);
    if (!theirs && settings.mtu !== undefined) expect(link?.mtu).toBe(settings.mtu);
  });

  it('fails with ENODEV for a missing link', async () => {
    await expect(nl.setLink('nosuch0', { up: true })).rejects.toMatchObject({ code: 'ENODEV', operation: 'setLink' });
  });

  const invalid: [string, string, LinkSettings][] = [
    ['a bad name', 'a/b', { up: true }],
    ['up that is no boolean', 'eth0', { up: 1 as unknown as boolean }],
    ['a negative MTU', 'eth0', { mtu: -1 }],
    ['an MTU of 0', 'eth0', { mtu: 0 }],
    ['an unknown field', 'eth0', { txqlen: 5 } as LinkSettings],
  ];
  it.each(invalid)('rejects %s before anything is sent', async (_, dev, settings) => {
    const before = await links(twins[0]);
    await expect(nl.setLink(dev, settings)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await links(twins[0])).toEqual(before);
  });
});
