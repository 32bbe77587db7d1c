// Issue 21: input that means nothing or takes what is someone else's is refused before anything changes: a
// protocol number of another owner (down with 'boot' deleted the user's default route), `lo` as the VPN
// interface, the LAN's router or our own VPN address as the gateway, our own or the LAN's broadcast address as
// the server. Judged by the kernel's tables (ip route) and the CLI's exit status.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, redirect } from '../src/index.js';
import { cli } from './support/cli.js';
import { ip } from './support/ip.js';
import { createSeed, routeText, SERVER, type Seed } from './support/seed.js';

let seed: Seed;
let before: string;

beforeEach(async () => {
  seed = await createSeed();
  before = await routeText(seed.ns);
});

describe('the protocol option', () => {
  for (const protocol of ['boot', 'kernel', 'static', 'ra', 'dhcp', 'redirect', 'zebra', 'bird', 'bgp', 186, 42, 0]) {
    it(`refuses ${JSON.stringify(protocol)}, another owner's: down leaves their routes`, async () => {
      await expect(redirect.down('eth0', { netns: seed.ns, protocol })).rejects.toThrow(InvalidInputError);
      await expect(redirect.up(seed.vpn, SERVER, { netns: seed.ns, protocol })).rejects.toThrow(InvalidInputError);
      expect(await routeText(seed.ns)).toBe(before);
    });
  }

  it("takes another owner's number when the caller says it means it", async () => {
    const options = { netns: seed.ns, protocol: 'static', allowForeignProtocol: true };
    await redirect.up(seed.vpn, SERVER, options);
    expect(await ip(seed.ns, '-4', 'route', 'show', 'proto', 'static')).toContain(`0.0.0.0/1 dev ${seed.vpn}`);
    await redirect.down(seed.vpn, options);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('takes a number no one else uses', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, protocol: 201 });
    await redirect.down(seed.vpn, { netns: seed.ns, protocol: 201 });
    expect(await routeText(seed.ns)).toBe(before);
  });
});

describe('meaningless peers and interfaces, refused as invalid input (exit 2), the table untouched', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['lo as the VPN interface', () => ['up', 'lo', SERVER], /loopback/],
    ["the LAN's router as the gateway", () => ['up', seed.vpn, SERVER, '--gateway', '192.168.1.1'], /router/],
    ['our own VPN address as the gateway', () => ['up', seed.vpn, SERVER, '--gateway', '172.16.2.2'], /this host/],
    ['our own LAN address as the server', () => ['up', seed.vpn, '192.168.1.2'], /this host/],
    ["the LAN's broadcast address as the server", () => ['up', seed.vpn, '192.168.1.255'], /broadcast/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await cli([...args(), '--netns', seed.ns]);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(await routeText(seed.ns)).toBe(before);
    });
  }
});
