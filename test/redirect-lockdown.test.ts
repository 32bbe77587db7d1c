// --lockdown: our nf_tables table refuses, at once, whatever would leave the client in clear by another interface
// than the VPN's (TunnelCrack's ServerIP and LocalNet, TunnelVision's pushed routes, sockets bound to the uplink),
// and lets through tinc's own traffic to its server, DHCP and the LAN as --lan says. Judged by real datagrams and
// connections counted at an echo on the far side, the probes' own sockets, and nft as the oracle of the ruleset.
import { beforeEach, describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { arrivals, probe, startEcho, type Probe } from './support/clear-probe.js';
import { ip } from './support/ip.js';
import { createDhcpLan, Dhclient, plugInto, UPLINK } from './support/dhcp.js';
import { createNetns } from './support/netns.js';
import { createSeed, pathTo, SERVER, type Seed } from './support/seed.js';
import { createTun } from './support/tun.js';
import { kernelState as kernel, nft, ruleset } from './support/server-world.js';
import { waitUntil, type NetnsProcess } from './support/tinc.js';
import { defer } from './support/cleanup.js';

const ELSEWHERE = '203.0.113.7';
const ELSEWHERE6 = '2001:db8::7';
const LAN_HOST = '192.168.1.3';
/** Refusals the kernel reports for a TCP reset or an ICMP administratively prohibited. */
const REFUSED = ['ECONNREFUSED', 'EHOSTUNREACH', 'EACCES', 'EPERM'];

let seed: Seed;
/** The namespace the probes are sent from, and the echo that counts what reaches the far side. */
let client: string;
let echo: NetnsProcess;
let before: string;

/** The far side answers for the server's real address, an internet host and a second LAN host. */
async function world(options: Parameters<typeof createSeed>[0] = {}): Promise<void> {
  seed = await createSeed({ tun: { held: true }, ...options });
  client = seed.ns;
  for (const address of [`${SERVER}/32`, `${ELSEWHERE}/32`]) await ip(seed.router, 'addr', 'add', address, 'dev', 'lo');
  await ip(seed.router, 'addr', 'add', `${ELSEWHERE6}/128`, 'dev', 'lo', 'nodad');
  echo = await startEcho(seed.router, [655, 9999, 53, 67]);
  before = await ruleset(seed.ns);
}

let count = 0;
/** Sends the probe; what its socket saw, and whether it reached the far side. */
async function send(p: Probe): Promise<{ outcome: string; arrived: boolean }> {
  const tag = `probe-${++count}`;
  const { outcome } = await probe(client, p, tag);
  return { outcome, arrived: arrivals(echo).includes(tag) };
}

async function refused(p: Probe): Promise<void> {
  const r = await send(p);
  expect(r.arrived, `${JSON.stringify(p)} arrived in clear`).toBe(false);
  expect(REFUSED, `${JSON.stringify(p)}: ${r.outcome}`).toContain(r.outcome);
}

/** Sent into the VPN (a tun nobody reads here): it never arrives in clear, and nothing refuses it. */
async function intoTunnel(p: Probe): Promise<void> {
  expect(await send(p), JSON.stringify(p)).toEqual({ outcome: 'silent', arrived: false });
}

/** The kernel sends it into the VPN (our halves of its LAN network), not out of the LAN's interface. */
async function routedIntoVpn(address: string): Promise<void> {
  expect(await pathTo(client, address)).toMatch(new RegExp(`(^| )dev ${seed.vpn}$`));
}

async function through(p: Probe): Promise<void> {
  expect(await send(p), JSON.stringify(p)).toEqual({
    outcome: p.proto === 'udp' ? 'reply' : 'connected',
    arrived: true,
  });
}

describe('--lockdown', () => {
  beforeEach(async () => world());

  it.each(['halves', 'rules'] as const)(
    '%s: refuses the server on other ports, sockets bound to the uplink, pushed routes; lets tinc, DHCP and the LAN through',
    async (strategy) => {
      // What dhclient installs for a classless static route (option 121) the network pushes.
      await ip(seed.ns, 'route', 'add', '203.0.113.0/24', 'via', seed.gateway, 'dev', seed.clientDev);
      const options = { netns: seed.ns, lockdown: true, strategy };
      await redirect.up(seed.vpn, SERVER, options);

      // The server's address but for tinc's port: halves' exception route carries all of it, and the firewall
      // refuses the rest; the rules strategy's exception is tinc's port alone, the rest goes into the tunnel.
      const serverElsewhere = strategy === 'rules' ? intoTunnel : refused;
      // At once: each probe has its own tag, and each is judged by its own socket and its own arrival.
      await Promise.all([
        serverElsewhere({ proto: 'udp', address: SERVER, port: 9999 }),
        serverElsewhere({ proto: 'tcp', address: SERVER, port: 9999 }),
        through({ proto: 'udp', address: SERVER, port: 655 }),
        through({ proto: 'tcp', address: SERVER, port: 655 }),
        refused({ proto: 'udp', address: ELSEWHERE, port: 9999 }), // the pushed route
        refused({ proto: 'udp', address: ELSEWHERE, port: 9999, device: seed.clientDev }),
        refused({ proto: 'udp', address: ELSEWHERE6, port: 9999, device: seed.clientDev }),
        refused({ proto: 'tcp', address: ELSEWHERE6, port: 9999, device: seed.clientDev }),
        refused({ proto: 'udp', address: seed.gateway, port: 53 }), // DNS only through the VPN
        through({ proto: 'udp', address: seed.gateway, port: 9999 }), // a private LAN
        through({ proto: 'udp', address: seed.gateway6!, port: 9999 }),
        through({ proto: 'udp', address: seed.gateway, port: 67, sport: 68 }), // DHCP
      ]);

      const status = await redirect.status(seed.vpn, { netns: seed.ns });
      expect(status.problems).toEqual([]);
      expect(status.lockdown?.lan).toBe('private');
      const made = await ruleset(seed.ns);
      expect((await redirect.up(seed.vpn, SERVER, options)).changes).toEqual([]);
      expect(await ruleset(seed.ns)).toBe(made); // not even rewritten: the same handles

      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await ruleset(seed.ns)).toBe(before);
      await through({ proto: 'udp', address: SERVER, port: 9999 }); // the probe does see what leaves
    },
  );

  it.each(['halves', 'rules'] as const)(
    '%s: tincd killed (the VPN interface gone), the lockdown alone holds: nothing in clear, tinc through, no problem',
    async (strategy) => {
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, strategy });
      await ip(seed.ns, 'link', 'delete', seed.vpn); // what the kernel does when tincd dies: its routes go with it
      await Promise.all([
        refused({ proto: 'udp', address: ELSEWHERE, port: 9999 }),
        refused({ proto: 'tcp', address: ELSEWHERE, port: 9999 }),
        refused({ proto: 'udp', address: ELSEWHERE6, port: 9999 }),
        refused({ proto: 'udp', address: SERVER, port: 9999 }),
        through({ proto: 'udp', address: SERVER, port: 655 }),
      ]);
      // As the kill switch in the same situation (test/redirect-kill-switch.test.ts "status: one verdict…").
      const status = await redirect.status(seed.vpn, { netns: seed.ns });
      expect([status.active, status.problems]).toEqual([false, []]);
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await ruleset(seed.ns)).toBe(before);
      await through({ proto: 'udp', address: ELSEWHERE, port: 9999 }); // the probe does see what leaves
    },
  );

  it('status reports a chain of ours that went missing, and up puts it back', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true });
    await nft(seed.ns, 'delete', 'chain', 'inet', 'redirect_gateway_lockdown', 'forward');
    expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([
      "the lockdown's chain forward is missing",
    ]);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true });
    expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([]);
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await ruleset(seed.ns)).toBe(before);
  });

  it.each(['halves', 'rules'] as const)(
    '%s: the follower keeps it in step with a new gateway and a new network on the uplink',
    async (strategy) => {
      const follower = await redirect.follow(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, strategy });
      defer(() => follower.close());
      const table = () => nft(seed.ns, 'list', 'table', 'inet', 'redirect_gateway_lockdown');
      const becomes = (what: RegExp, gone: RegExp) =>
        waitUntil(
          async () => {
            const text = await table();
            return what.test(text) && !gone.test(text);
          },
          10_000,
          () => `the lockdown did not follow: ${what}`,
        );
      await becomes(/oifname "eth0" ip daddr 192\.168\.1\.1 accept/, /192\.168\.1\.3/);
      await ip(seed.ns, 'route', 'replace', 'default', 'via', '192.168.1.3', 'dev', seed.clientDev);
      await becomes(/oifname "eth0" ip daddr 192\.168\.1\.3 accept/, /ip daddr 192\.168\.1\.1 /);
      await ip(seed.ns, 'addr', 'add', '10.9.0.2/24', 'dev', seed.clientDev);
      await becomes(/oifname "eth0" ip daddr 10\.9\.0\.0\/24 accept/, /ip daddr 192\.168\.1\.1 /);
      // A public network on the uplink: our halves of it through the VPN follow.
      await ip(seed.ns, 'addr', 'add', '203.0.113.2/24', 'dev', seed.clientDev);
      await waitUntil(
        async () => (await pathTo(client, '203.0.113.9')).endsWith(`dev ${seed.vpn}`),
        10_000,
        () => 'the LAN routes did not follow the new public network',
      );
      follower.close();
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await ruleset(seed.ns)).toBe(before);
    },
  );

  it('--lan block sends the LAN through the tunnel, keeping the gateway and the server', async () => {
    await ip(seed.router, 'addr', 'add', `${LAN_HOST}/24`, 'dev', seed.routerDev);
    const clean = await kernel(seed.ns);
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, lan: 'block' });
    await routedIntoVpn(LAN_HOST);
    await intoTunnel({ proto: 'udp', address: LAN_HOST, port: 9999 });
    await through({ proto: 'udp', address: seed.gateway, port: 9999 });
    await through({ proto: 'udp', address: SERVER, port: 655 });
    await redirect.down(seed.vpn, { netns: seed.ns });
    expect(await kernel(seed.ns)).toBe(clean);
    await through({ proto: 'udp', address: LAN_HOST, port: 9999 });
  });
});

describe('--lockdown on a network that leases a public prefix as its LAN (LocalNet)', () => {
  const PUBLIC_HOST = '203.0.113.9';
  beforeEach(async () => {
    await world({ lan: { clientAddress: '203.0.113.2/24', routerAddress: '203.0.113.1/24', clientAddress6: null } });
    await ip(seed.router, 'addr', 'add', `${PUBLIC_HOST}/24`, 'dev', seed.routerDev);
  });

  it.each(['halves', 'rules'] as const)(
    '%s: under --lan private the public "LAN" goes through the tunnel; its gateway and the server stay reachable',
    async (strategy) => {
      const clean = await kernel(seed.ns);
      await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, strategy });
      await routedIntoVpn(PUBLIC_HOST);
      await intoTunnel({ proto: 'udp', address: PUBLIC_HOST, port: 9999 });
      await intoTunnel({ proto: 'tcp', address: PUBLIC_HOST, port: 9999 });
      await through({ proto: 'udp', address: seed.gateway, port: 9999 });
      await through({ proto: 'udp', address: SERVER, port: 655 });
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([]);
      await redirect.down(seed.vpn, { netns: seed.ns });
      expect(await kernel(seed.ns)).toBe(clean);
    },
  );

  it.each(['halves', 'rules'] as const)(
    "%s: while the protection holds (arm, suspend, the follower's re-plan) the public LAN is refused; up routes it",
    async (strategy) => {
      const clean = await kernel(seed.ns);
      const options = { netns: seed.ns, lockdown: true, strategy };
      const held = () => refused({ proto: 'udp', address: PUBLIC_HOST, port: 9999 });
      const routed = () => intoTunnel({ proto: 'udp', address: PUBLIC_HOST, port: 9999 });
      await redirect.arm(seed.vpn, SERVER, options);
      await held();
      await redirect.up(seed.vpn, SERVER, options);
      await routed();
      await redirect.suspend(seed.vpn, { netns: seed.ns });
      await held();

      // A change on the uplink: the follower's re-plan keeps the hold.
      const follower = await redirect.follow(seed.vpn, SERVER, options);
      defer(() => follower.close());
      await ip(seed.ns, 'addr', 'add', '10.9.0.2/24', 'dev', seed.clientDev);
      await waitUntil(
        async () => (await nft(seed.ns, 'list', 'table', 'inet', 'redirect_gateway_lockdown')).includes('10.9.0.0/24'),
        10_000,
        () => 'the follower did not re-plan the lockdown',
      );
      await follower.close(); // its re-plan, under way since the firewall changed, is done
      await held();

      await redirect.up(seed.vpn, SERVER, options);
      await routed();
      await redirect.down(seed.vpn, { netns: seed.ns });
      await ip(seed.ns, 'addr', 'del', '10.9.0.2/24', 'dev', seed.clientDev);
      expect(await kernel(seed.ns)).toBe(clean);
    },
  );

  it.each(['halves', 'rules'] as const)(
    '%s: status names the LAN routes, reports one that went missing, none while held; up puts it back',
    async (strategy) => {
      const options = { netns: seed.ns, lockdown: true, strategy };
      await redirect.up(seed.vpn, SERVER, options);
      const halves = ['203.0.113.0/25 dev vpn metric 157', '203.0.113.128/25 dev vpn metric 157'];
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).lockdown?.routes).toEqual([
        `${seed.gateway} dev ${seed.clientDev} metric 157`,
        ...halves,
      ]);
      await ip(seed.ns, 'route', 'del', '203.0.113.128/25', 'dev', seed.vpn, 'proto', '157', 'metric', '157');
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([
        `the lockdown's LAN route ${halves[1]} is missing`,
      ]);
      await redirect.up(seed.vpn, SERVER, options);
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([]);
      await redirect.suspend(seed.vpn, { netns: seed.ns });
      const held = await redirect.status(seed.vpn, { netns: seed.ns });
      expect(held.lockdown?.routes).toEqual([]);
      expect(held.problems).toEqual([]);
      await redirect.down(seed.vpn, { netns: seed.ns });
    },
  );

  it.each(['halves', 'rules'] as const)(
    '%s: the VPN interface down takes the LAN routes with the rest: refused, held; up again, missing until up',
    async (strategy) => {
      const options = { netns: seed.ns, lockdown: true, strategy };
      await redirect.up(seed.vpn, SERVER, options);
      await ip(seed.ns, 'link', 'set', seed.vpn, 'down');
      await refused({ proto: 'udp', address: PUBLIC_HOST, port: 9999 });
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([]);
      await ip(seed.ns, 'link', 'set', seed.vpn, 'up');
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([
        'routes of ours through vpn are missing while it is up, and what they carry is refused: ' +
          '`up` again puts them back, or a follower (`up --follow`) does',
        "the lockdown's LAN route 203.0.113.0/25 dev vpn metric 157 is missing",
        "the lockdown's LAN route 203.0.113.128/25 dev vpn metric 157 is missing",
      ]);
      await redirect.up(seed.vpn, SERVER, options);
      await routedIntoVpn(PUBLIC_HOST);
      expect((await redirect.status(seed.vpn, { netns: seed.ns })).problems).toEqual([]);
      await redirect.down(seed.vpn, { netns: seed.ns });
    },
  );

  it('under --lan allow the public LAN is reached as before', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: seed.ns, lockdown: true, lan: 'allow' });
    await through({ proto: 'udp', address: PUBLIC_HOST, port: 9999 });
    await refused({ proto: 'udp', address: SERVER, port: 9999 });
    await redirect.down(seed.vpn, { netns: seed.ns });
  });
});

describe('--lockdown against routes a DHCP server pushes (option 121, TunnelVision)', () => {
  it('a route dhclient installed from option 121 carries nothing in clear; tinc still reaches its server', async () => {
    client = await createNetns('client');
    const gateway = '192.168.50.1';
    const lan = await createDhcpLan('lan', '192.168.50', [`121,203.0.113.0/24,${gateway},0.0.0.0/0,${gateway}`]);
    await plugInto(client, lan);
    const dhclient = await Dhclient.create(client, { classlessRoutes: true });
    await dhclient.obtain();
    expect(await pathTo(client, ELSEWHERE)).toBe(`via ${gateway} dev ${UPLINK}`);
    expect(await ip(client, 'route', 'show', '203.0.113.0/24')).toMatch(/^203\.0\.113\.0\/24 via 192\.168\.50\.1/);
    const vpn = await createTun(client, { address: '172.16.2.2/16' });
    for (const address of [`${SERVER}/32`, `${ELSEWHERE}/32`]) await ip(lan.ns, 'addr', 'add', address, 'dev', 'lo');
    echo = await startEcho(lan.ns, [655, 9999]);
    const clean = await ruleset(client);

    await redirect.up(vpn.name, SERVER, { netns: client, lockdown: true });
    await refused({ proto: 'udp', address: ELSEWHERE, port: 9999 });
    await refused({ proto: 'tcp', address: ELSEWHERE, port: 9999 });
    await through({ proto: 'udp', address: SERVER, port: 655 });
    await redirect.down(vpn.name, { netns: client });
    expect(await ruleset(client)).toBe(clean);
    await through({ proto: 'udp', address: ELSEWHERE, port: 9999 }); // in clear again, through the pushed route
  });
});
