// The whole configuration on a hostile network, with real tincd on both ends: the client's scripts from
// `install-hook --kill-switch --lockdown --dns 172.16.1.1`, dnsmasq as the LAN's resolver and as the VPN's (on the
// server's VPN address), a route the network pushed (as dhclient installs option 121's), IPv6 on the LAN. Counted
// at the far ends, from tincd's start with its server down to `redirect-gateway down`: no query reaches the LAN's
// resolver (glibc), nothing reaches the internet host in clear (the pushed route, a socket bound to the uplink,
// IPv6 included), the tunnel carries the rest, the private LAN answers; `down` leaves routes, rules, nft and
// resolv.conf exactly as before.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { arrivals, probe, startEcho } from './support/clear-probe.js';
import { privateResolvConf } from './support/dhcp.js';
import { cliIn, LAN_ANSWER, LAN_RESOLV_CONF, lookUp, NO_BUS, startDnsServer, VPN_ANSWER } from './support/dns.js';
import { run } from './support/exec.js';
import { ip } from './support/ip.js';
import { phaseSources, SENDER, startCounter } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { kernelState } from './support/server-world.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7781;
/** An IPv6 host beyond the LAN (on the LAN's router), where the client's IPv6 default route leads. */
const ELSEWHERE6 = '2001:db8::7';
/** Refusals the kernel reports for the firewall's (or a kill switch's) refusal. */
const REFUSED = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM'];

describe.skipIf(skipWithout('nft', 'getent'))('a hostile network, real tincd, the strongest options', () => {
  it.each([
    { strategy: 'halves', flags: [] },
    { strategy: 'rules', flags: ['--strategy', 'rules'] },
  ])(
    '$strategy: from tincd start to down, no DNS to the LAN, nothing in clear, the tunnel works; down is exact',
    async ({ flags }) => {
      const world = await createTincWorld(TINCD!);
      const ns = world.ns.client;
      const dns = ['--dns', A.serverVpn];
      const args = ['--kill-switch', '--lockdown', ...dns, ...flags, '--address', `${A.clientVpn}/16`, '--force'];
      expect((await installHook(world.client.confbase, ...args)).code).toBe(0);
      // The network: its resolver in resolv.conf, a pushed route to the internet host's network, IPv6.
      await privateResolvConf(ns);
      const resolvConf = `/etc/netns/${ns}/resolv.conf`;
      await writeFile(resolvConf, LAN_RESOLV_CONF);
      const lanDns = await startDnsServer(world.ns.router, A.lanGateway, LAN_ANSWER);
      await ip(ns, 'route', 'add', '192.0.2.0/24', 'via', A.lanGateway, 'dev', 'eth0'); // the mesh peer's network
      await ip(ns, 'address', 'add', 'fd00:1::2/64', 'dev', 'eth0', 'nodad');
      await ip(world.ns.router, 'address', 'add', 'fd00:1::1/64', 'dev', 'eth0', 'nodad');
      await ip(world.ns.router, 'address', 'add', `${ELSEWHERE6}/128`, 'dev', 'lo', 'nodad');
      await ip(ns, '-6', 'route', 'add', 'default', 'via', 'fd00:1::1', 'dev', 'eth0');
      const before = await kernelState(ns);

      const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 150_000);
      const pushedCounter = await startCounter(world.ns.peer, A.peer, PORT, 150_000);
      const lanEcho = await startEcho(world.ns.router, [9999], 150_000);
      const send = (phase: string, ms: number, to: string = A.internetHost) =>
        netnsExec(ns, process.execPath, ['-e', SENDER, to, String(PORT), phase, String(ms)]);
      const sources = async (phase: string) => {
        await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
        return [...new Set(phaseSources(counter, phase))];
      };
      let tag = 0;
      /** What must be refused at once and arrive nowhere: the pushed route, bound to the uplink, IPv6 beyond the LAN. */
      const refusedInClear = async (phase: string) => {
        await send(phase, 300, A.peer);
        expect(phaseSources(pushedCounter, phase)).toEqual([]);
        for (const p of [
          { proto: 'tcp' as const, address: A.peer, port: PORT },
          { proto: 'udp' as const, address: A.internetHost, port: PORT, device: 'eth0' },
          { proto: 'udp' as const, address: ELSEWHERE6, port: 9999 },
          { proto: 'tcp' as const, address: ELSEWHERE6, port: 9999, device: 'eth0' },
        ]) {
          const name = `bound-${++tag}`;
          const { outcome } = await probe(ns, p, name);
          expect(REFUSED, `${JSON.stringify(p)}: ${outcome}`).toContain(outcome);
          expect(arrivals(lanEcho)).not.toContain(name);
          expect(phaseSources(counter, name)).toEqual([]);
        }
      };
      const lanQueries = async () => (await lanDns.queries()).length;
      const env = { PATH: '/nonexistent', ...NO_BUS };

      // tincd starts with its server down: tinc-up arms it all before any connection.
      const client = await startTincd(TINCD!, world.client, env);
      await waitUntil(
        async () => (await kernelState(ns)) !== before,
        10_000,
        () => 'tinc-up armed nothing',
      );
      expect(await readFile(resolvConf, 'utf8')).toMatch(/^nameserver 172\.16\.1\.1$/m); // armed with --dns
      // Not answered (the VPN's resolver is not reachable yet): cut short; any query sent counts at the LAN below.
      expect(await lookUp(ns, 'boot.example.org', { timeoutMs: 3_000 })).not.toBe(LAN_ANSWER);
      await send('boot', 1000);
      expect(await sources('boot')).toEqual([]);
      await refusedInClear('boot');

      await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
      const vpnDns = await startDnsServer(world.ns.server, A.serverVpn, VPN_ANSWER);
      await run('kill', ['-ALRM', String(client.pid)]); // tinc 1.0: retry the connection now
      await waitUntil(
        async () => {
          await send('up', 300);
          return (await sources('up')).includes(A.server);
        },
        30_000,
        () => `no probe came through the VPN: ${counter.output}\n${client.output}`,
      );
      expect(await sources('up')).toEqual([A.server]);
      for (const name of ['www.example.org', 'bank.example.net'])
        expect(await lookUp(ns, name, { timeoutMs: 10_000 })).toBe(VPN_ANSWER);
      expect(await vpnDns.queries()).toContain('bank.example.net');
      await refusedInClear('up');
      const lan = await probe(ns, { proto: 'udp', address: A.lanGateway, port: 9999 }, 'lan');
      expect(lan.outcome).toBe('reply'); // the private LAN, as --lan private says
      expect(await lanQueries()).toBe(0);

      await client.stop('SIGTERM'); // tinc-down holds it all
      const down = await cliIn(ns, ['down', 'vpn']); // inside the namespace: its resolv.conf
      expect(down.code, down.stderr).toBe(0);
      expect(await kernelState(ns)).toBe(before);
      expect(await readFile(resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
      expect(await lookUp(ns, 'after.example.org')).toBe(LAN_ANSWER); // the oracle does see a query in clear
    },
    150_000,
  );
});
