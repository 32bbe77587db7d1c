// `--strategy rules` with real tincd (test/support/tinc.ts draws the topology): scripts written by
// `install-hook --strategy rules`, traffic through the VPN (to the server's own address too, but for tinc's
// port), and a roam (the LAN's gateway moves to another
// address, the old one dies) after which the tunnel keeps working with nothing of ours running.
import { describe, expect, it } from 'vitest';
import { run } from './support/exec.js';
import { ip } from './support/ip.js';
import { ourRuleLines } from './support/policy.js';
import {
  ADDRESSES as A,
  createTincWorld,
  ECHO_PORT,
  startTincd,
  startUdpEcho,
  udpProbe,
  waitUntil,
  type TincDaemon,
} from './support/tinc.js';
import { installHook, internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';

const NEW_GATEWAY = '192.168.1.254';

const RULES = [
  `30157: to ${A.server} ipproto tcp dport 655 lookup main`,
  `30157: to ${A.server} ipproto udp dport 655 lookup main`,
  `30158: to ${A.server} ipproto tcp dport 655 unreachable`,
  `30158: to ${A.server} ipproto udp dport 655 unreachable`,
  '30159: lookup main suppress_prefixlength 0',
  '30160: lookup 157',
];

async function waitForSource(ns: string, expected: string, what: string, daemons: TincDaemon[]): Promise<number> {
  const started = Date.now();
  let seen = '';
  await waitUntil(
    async () => (seen = await internetSource(ns)) === expected,
    20_000,
    () => `${what}: the echo saw ${seen}, expected ${expected}`,
  ).catch(async (e: Error) => {
    const logs = await Promise.all(daemons.map((d) => d.diagnostics()));
    throw new Error(`${e.message}\n${await ip(ns, 'rule')}\n${logs.join('\n')}`);
  });
  return Date.now() - started;
}

describe.skipIf(skipWithout('nft'))('tinc 1.0 with --strategy rules (real tincd, real packets)', () => {
  it('install-hook --strategy rules: through the VPN; after a roam the tunnel keeps working; a clean stop is exact', async () => {
    const world = await createTincWorld(TINCD!);
    const client = world.ns.client;
    const written = await installHook(world.client.confbase, '--strategy', 'rules', '--no-follow');
    expect(written.stdout).toContain('server-up');
    await startInternetEcho(world);
    await startUdpEcho(world.ns.server, A.server, ECHO_PORT);
    const server = await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
    const mainBefore = await ip(client, 'route', 'show');
    const rulesBefore = await ip(client, 'rule', 'show');
    expect(await internetSource(client)).toBe(A.clientLan);

    const daemon = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
    const daemons = [daemon, server];
    await waitUntil(
      async () => JSON.stringify(await ourRuleLines(client)) === JSON.stringify(RULES),
      15_000,
      () => `the rules did not appear:\n${daemon.output}`,
    );
    const first = await waitForSource(client, A.server, 'through the VPN', daemons);
    // The server's real address on another port than tinc's: through the tunnel too, not in clear (ServerIP).
    expect(await udpProbe(client, A.server, ECHO_PORT)).toBe(A.clientVpn);
    // Main untouched: beside what it had, only the VPN's own subnet (tinc-up's address).
    const mainNow = (await ip(client, 'route', 'show')).split('\n');
    expect(mainNow.filter((l) => !l.includes(' dev vpn '))).toEqual(mainBefore.split('\n'));

    // The roam: the LAN's gateway is now .254, the old address is gone (promoted, .254 outlives it). Nothing of
    // ours runs.
    await run('ip', ['netns', 'exec', world.ns.router, 'sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    await ip(world.ns.router, 'address', 'add', `${NEW_GATEWAY}/24`, 'dev', 'eth0');
    await ip(client, 'route', 'replace', 'default', 'via', NEW_GATEWAY, 'dev', 'eth0');
    await ip(world.ns.router, 'address', 'del', `${A.lanGateway}/24`, 'dev', 'eth0');
    expect(await ip(client, 'route', 'get', A.server, 'ipproto', 'udp', 'dport', '655')).toContain(
      `via ${NEW_GATEWAY} dev eth0`,
    );
    const afterRoam = await waitForSource(client, A.server, 'through the VPN after the roam', daemons);
    console.log(
      `rules strategy with tincd: through the VPN ${first} ms after the rules; again ${afterRoam} ms after the roam`,
    );

    await daemon.stop('SIGTERM');
    await waitUntil(
      async () => (await ourRuleLines(client)).length === 0,
      15_000,
      () => `the rules stayed after the clean stop:\n${daemon.output}`,
    );
    expect(await ip(client, 'rule', 'show')).toBe(rulesBefore);
    expect(await ip(client, '-4', 'route', 'show', 'table', 'all', 'proto', '157')).toBe('');
    expect(await internetSource(client)).toBe(A.clientLan);
    expect(daemon.output).not.toMatch(/failed|error|redirect-gateway:/i);
  });
});
