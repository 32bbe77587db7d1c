// DHCP renewals under --lockdown with a real tincd (the world of test/support/tinc.ts): the client's uplink leased
// by Debian's dhclient from dnsmasq on the LAN, whose renewal time (option 58, T1) is a few seconds, so dhclient
// renews by itself while the redirect is on: a unicast DHCPREQUEST to the server that leased it. dnsmasq's log is
// the oracle: a DHCPACK after the redirect came up is a renewal that reached it. The DHCP server is the LAN's
// gateway, or another address of the LAN (the router's primary address, so dnsmasq names it as its identifier).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, CLI } from './support/cli.js';
import { Dhclient, dhcpServerListening, startDhcpServer } from './support/dhcp.js';
import { ip } from './support/ip.js';
import { phaseSources, SENDER, startCounter } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { tempDir } from './support/package.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7782;
/** The DHCP server on the LAN that is not its gateway. */
const OTHER_SERVER = '192.168.1.3';
/** Seconds to the renewal (T1) and to the rebinding by broadcast (T2), which the test must not wait for. */
const T1 = 4;
const T2 = 3000;

/** The world with the client's uplink from DHCP, the hooks `hook up --lockdown --lan LAN` and `hook down`. */
async function scene(lan: string, dhcpServer: string) {
  const world = await createTincWorld(TINCD!);
  const ns = world.ns.client;
  await ip(ns, 'address', 'flush', 'dev', 'eth0');
  // dnsmasq names the interface's primary address as its server identifier: the one added first.
  await ip(world.ns.router, 'address', 'flush', 'dev', 'eth0');
  for (const address of new Set([dhcpServer, A.lanGateway]))
    await ip(world.ns.router, 'address', 'add', `${address}/24`, 'dev', 'eth0');
  const dnsmasq = startDhcpServer(world.ns.router, {
    iface: 'eth0',
    subnet: '192.168.1',
    router: A.lanGateway,
    dir: await tempDir('dnsmasq-renew'),
    dhcpOptions: [`58,${T1}`, `59,${T2}`],
  });
  await dhcpServerListening(world.ns.router, dnsmasq);
  const dhclient = await Dhclient.create(ns);
  const lease = await dhclient.obtain();
  const acks = () => dnsmasq.output.split('\n').filter((l) => /DHCPACK\(eth0\)/.test(l)).length;
  expect(dnsmasq.output).toMatch(new RegExp(`DHCPACK\\(eth0\\) ${lease.addresses[0].split('/')[0]} `));
  expect(await readFile(join(dhclient.dir, 'dhclient.leases'), 'utf8')).toContain(
    `option dhcp-server-identifier ${dhcpServer};`,
  );

  const hosts = join(world.client.confbase, 'hosts');
  const hook = (args: string) => `#!/bin/sh\nexec ${process.execPath} ${CLI} hook ${args}\n`;
  await writeFile(join(hosts, 'server-up'), hook(`up --lockdown --lan ${lan}`), { mode: 0o755 });
  await writeFile(join(hosts, 'server-down'), hook('down'), { mode: 0o755 });
  return { world, ns, dnsmasq, acks };
}

/** A renewal reaches the DHCP server while the redirect is on (it is up once a probe comes through the tunnel). */
async function renewsUnderLockdown(lan: string, dhcpServer: string) {
  const { world, ns, dnsmasq, acks } = await scene(lan, dhcpServer);
  const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 120_000);
  const env = { PATH: process.env.PATH };
  await startTincd(TINCD!, world.server, env);
  const client = await startTincd(TINCD!, world.client, env);
  await waitUntil(
    async () => {
      await netnsExec(ns, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), 'up', '300']);
      return phaseSources(counter, 'up').includes(A.server);
    },
    30_000,
    () => `no probe came through the VPN: ${counter.output}`,
  );
  const before = acks();
  await waitUntil(
    () => acks() > before,
    30_000,
    () => `no renewal reached the DHCP server at ${dhcpServer}:\n${dnsmasq.output}`,
  );
  await client.stop('SIGKILL');
  const down = await cli(['down', 'vpn', '--netns', ns]);
  expect(down.code, down.stderr).toBe(0);
}

describe.skipIf(skipWithout('nft', 'dnsmasq', 'dhclient'))('DHCP renewals under --lockdown with a real tincd', () => {
  it('--lan private: dhclient renews with the gateway', () => renewsUnderLockdown('private', A.lanGateway), 120_000);
  it(
    '--lan private: dhclient renews with a DHCP server that is not the gateway',
    () => renewsUnderLockdown('private', OTHER_SERVER),
    120_000,
  );
  it('--lan block: dhclient renews with the gateway', () => renewsUnderLockdown('block', A.lanGateway), 120_000);
  // Known defect: --lan block keeps only the gateway (and the server) out of the LAN's halves; dhclient's unicast
  // renewal to another DHCP server of the LAN is routed into the tunnel (`ip route get 192.168.1.3`: dev vpn), and
  // never reaches it. The kernel does not know the DHCP server's address, so no host route can keep it; dhclient
  // gets its lease again only by the broadcast at T2 (its raw socket passes no route), or loses it.
  it.fails(
    '--lan block: dhclient renews with a DHCP server that is not the gateway',
    () => renewsUnderLockdown('block', OTHER_SERVER),
    120_000,
  );
});
