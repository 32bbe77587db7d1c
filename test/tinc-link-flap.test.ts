// A link flap of the client's uplink with real tincd on both ends and the follower install-hook starts. The kernel
// flushes the exception route (the server's /32 via the LAN gateway) with the uplink's routes; until the new lease
// tinc's packets to the server matched a half-route and went into the VPN itself (721-1,038 were counted in the
// issue). Counted here by an nftables counter of the test's own in the client namespace, at the VPN device's
// output: tinc's packets to the server there are the loop. Traffic into the tunnel meanwhile makes tinc send.
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { findProgram } from './support/exec.js';
import { ip } from './support/ip.js';
import { SENDER } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { ADDRESSES as A, createTincWorld, ECHO_PORT, startTincd, waitUntil, type TincWorld } from './support/tinc.js';
import { installHook, internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';

const ORACLE = `table inet flap_oracle {
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "vpn" ip daddr ${A.server} counter comment "looped"
    oifname "vpn" ip daddr ${A.internetHost} udp dport ${ECHO_PORT} counter comment "into the tunnel"
  }
}
`;

interface NftRule {
  rule?: { comment?: string; expr: { counter?: { packets: number } }[] };
}

/** The oracle's counters by their comment. */
async function counters(ns: string): Promise<Record<string, number>> {
  const { stdout } = await netnsExec(ns, findProgram('nft')!, ['-j', 'list', 'table', 'inet', 'flap_oracle']);
  const rules = (JSON.parse(stdout) as { nftables: NftRule[] }).nftables.flatMap((o) => (o.rule ? [o.rule] : []));
  return Object.fromEntries(
    rules.map((r) => [r.comment!, r.expr.find((e) => e.counter)!.counter!.packets] as [string, number]),
  );
}

async function redirected(world: TincWorld): Promise<void> {
  let status = '';
  await waitUntil(
    async () => ({ stdout: status } = await cli(['status', 'vpn', '--netns', world.ns.client])).code === 0,
    30_000,
    () => `no healthy redirect:\n${status}`,
  );
  await throughTheVpn(world);
}

async function throughTheVpn(world: TincWorld): Promise<void> {
  await waitUntil(
    async () => (await internetSource(world.ns.client)) === A.server,
    20_000,
    () => 'no traffic through the VPN',
  );
}

describe.skipIf(skipWithout('nft'))('a link flap of the uplink, real tincd and the follower', () => {
  it("ip link set eth0 down; up: none of tinc's packets to the server goes into the VPN", async () => {
    const world = await createTincWorld(TINCD!);
    const client = world.ns.client;
    expect((await installHook(world.client.confbase, '--follow')).code).toBe(0);
    await startInternetEcho(world);
    await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
    await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    defer(() => cli(['down', 'vpn', '--netns', client]));
    await redirected(world);
    await netnsExec(client, findProgram('nft')!, ['-f', '-'], { input: ORACLE });

    await ip(client, 'link', 'set', 'eth0', 'down');
    await ip(client, 'link', 'set', 'eth0', 'up');
    // 25 datagrams through the VPN while there is no lease: tinc reads each and sends it on to the server.
    await netnsExec(client, process.execPath, ['-e', SENDER, A.internetHost, String(ECHO_PORT), 'flap', '500']);
    await waitUntil(
      async () => (await counters(client))['into the tunnel'] > 0,
      10_000,
      () => 'nothing went into the tunnel during the flap',
    );
    // The new lease: the default route back. The follower puts the exception back; a datagram answered through
    // the VPN after it was read by tinc after every one sent during the flap.
    await ip(client, 'route', 'replace', 'default', 'via', A.lanGateway, 'dev', 'eth0');
    await redirected(world);
    const counted = await counters(client);
    console.log(
      `link flap: ${counted['into the tunnel']} datagrams into the tunnel, ${counted.looped} of tinc's looped`,
    );
    expect(counted.looped).toBe(0);
  }, 120_000);
});
