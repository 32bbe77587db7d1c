// systemd-networkd managing the client's uplink (test/support/networkd.ts), with real tincd on both ends and the
// client's hooks from install-hook. `networkctl reconfigure eth0` (what a changed .network file gets) makes
// networkd delete every route and rule on the link it did not make itself (ManageForeignRoutes=yes,
// ManageForeignRoutingPolicyRules=yes, its defaults): our exception route, the kill switch's refusing routes,
// the rules strategy's rules. Without a follower they stay gone: a kill -9 of tincd then lets everything out in
// clear. install-hook therefore starts the follower by default with --kill-switch and --strategy rules, and the
// follower puts them back.
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { ip, ipJson } from './support/ip.js';
import { phaseSources, SENDER, startCounter } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { type Networkd, startNetworkd } from './support/networkd.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil, type TincDaemon } from './support/tinc.js';
import { installHook, internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';

const PORT = 7779;
const UPLINK = `[Match]
Name=eth0
[Network]
Address=${A.clientLan}/24
Gateway=${A.lanGateway}
LinkLocalAddressing=no
IPv6AcceptRA=no
`;

/** Our routes (protocol 157) in every table, and our rules: what networkd takes for foreign. */
async function ours(ns: string): Promise<{ routes: string[]; rules: number }> {
  const routes = await ipJson<{ type?: string; dst: string }[]>(
    ns,
    '-4',
    'route',
    'show',
    'table',
    'all',
    'proto',
    '157',
  );
  const rules = await ipJson<{ protocol?: string }[]>(ns, '-4', 'rule', 'show');
  return {
    routes: routes.map((r) => `${r.type ?? 'unicast'} ${r.dst}`).sort(),
    rules: rules.filter((r) => r.protocol === 'redirect-gateway' || r.protocol === '157').length,
  };
}

async function redirectedUnderNetworkd(flags: string[]) {
  const world = await createTincWorld(TINCD!);
  const c = world.ns.client;
  // networkd configures the uplink itself (an address it finds there already made it fail with ERANGE under load).
  await ip(c, 'address', 'flush', 'dev', 'eth0');
  const networkd = await startNetworkd(c, 'eth0', { 'eth0.network': UPLINK });
  await waitUntil(
    async () => (await ip(c, 'route', 'show', 'default')).includes(A.lanGateway),
    10_000,
    () => 'networkd set no default route',
  );
  // With a kill switch our tinc-up arms it (and puts the address on, as the world's own tinc-up does).
  const address = flags.includes('--kill-switch') ? ['--address', `${world.client.vpnAddress}/16`, '--force'] : [];
  expect((await installHook(world.client.confbase, ...address, ...flags)).code).toBe(0);
  await startInternetEcho(world);
  await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
  const client = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
  await waitUntil(
    async () => (await internetSource(c)) === A.server,
    30_000,
    () => 'never redirected',
  );
  return { world, c, networkd, client };
}

/** Waits until our routes and rules are as before the reconfigure (the follower put them back). */
async function putBack(ns: string, wanted: Awaited<ReturnType<typeof ours>>): Promise<void> {
  let now = wanted;
  await waitUntil(
    async () => JSON.stringify((now = await ours(ns))) === JSON.stringify(wanted),
    10_000,
    () => `our routes and rules are not back: ${JSON.stringify(now)}, wanted ${JSON.stringify(wanted)}`,
  ).catch(async (e: Error) => {
    const status = await cli(['status', 'vpn', '--netns', ns]);
    throw new Error(`${e.message}\n${status.stdout}${status.stderr}${await ip(ns, 'route', 'show', 'table', 'all')}`);
  });
}

/** Reconfigures the uplink, and waits until networkd has configured it again (our routes and rules dropped). */
async function reconfigure(networkd: Networkd): Promise<void> {
  const configured = 'eth0: State changed: configuring -> configured';
  const before = networkd.output.split(configured).length;
  const done = await networkd.networkctl('reconfigure', 'eth0');
  expect(done.code, `${done.stdout}${done.stderr}`).toBe(0);
  await waitUntil(
    () => networkd.output.split(configured).length > before,
    10_000,
    () => `networkd did not reconfigure eth0: ${networkd.output}`,
  );
}

/** kill -9 of the client's tincd, then a second of datagrams to the internet host: the sources they came from. */
async function probedAfterKill(
  world: Awaited<ReturnType<typeof redirectedUnderNetworkd>>['world'],
  client: TincDaemon,
) {
  const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 5_000);
  client.kill('SIGKILL');
  await client.exited;
  await netnsExec(world.ns.client, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), 'killed', '1000']);
  await counter.exited;
  return phaseSources(counter, 'killed');
}

describe.skipIf(skipWithout('nft', 'networkctl', 'dbus-daemon'))('systemd-networkd reconfigures the uplink', () => {
  it('without a follower (--no-follow) it deletes the kill switch: kill -9 of tincd then leaks', async () => {
    const { world, c, networkd, client } = await redirectedUnderNetworkd(['--kill-switch', '--no-follow']);
    expect((await ours(c)).routes).toContain('unreachable 0.0.0.0/1');
    await reconfigure(networkd);
    let now = await ours(c);
    await waitUntil(
      async () => !(now = await ours(c)).routes.includes('unreachable 0.0.0.0/1'),
      10_000,
      () => `networkd left our routes: ${JSON.stringify(now)}`,
    );
    const sources = await probedAfterKill(world, client);
    expect(sources.filter((s) => s === A.clientLan).length).toBeGreaterThan(0);
  }, 120_000);

  it(
    '--kill-switch (with its follower): the refusals are put back, kill -9 of tincd leaks nothing',
    { timeout: 120_000 },
    async () => {
      const { world, c, networkd, client } = await redirectedUnderNetworkd(['--kill-switch']);
      const wanted = await ours(c);
      expect(wanted.routes).toContain('unreachable 0.0.0.0/1');
      await reconfigure(networkd);
      await putBack(c, wanted);
      const sources = await probedAfterKill(world, client);
      expect(sources.filter((s) => s !== A.server)).toEqual([]);
    },
  );

  it('--strategy rules (with its follower): the rules are put back', async () => {
    const { c, networkd } = await redirectedUnderNetworkd(['--strategy', 'rules']);
    const wanted = await ours(c);
    expect(wanted.rules).toBeGreaterThan(0);
    await reconfigure(networkd);
    await putBack(c, wanted);
    // Until the follower has put them back (each time networkd drops them), traffic goes out in clear: only the
    // lockdown's firewall, which networkd does not touch, closes that window.
    await waitUntil(
      async () => (await internetSource(c)) === A.server,
      10_000,
      () => 'no traffic through the VPN',
    );
  }, 120_000);
});
