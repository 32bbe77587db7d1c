// DNS through systemd-resolved with a real tincd (the world of test/support/tinc.ts): a real resolved
// (test/support/resolved.ts) in the client's namespace, the uplink's DNS set to the LAN's dnsmasq as DHCP would,
// and the hooks of `install-hook --kill-switch --lockdown --dns 172.16.1.1`. Lookups through resolved
// (resolvectl query) reach the VPN's dnsmasq on the server and none reaches the LAN's (its --log-queries log is
// the oracle): from tincd's start with the server down, once connected, and across a stop and a start of tincd.
// `redirect-gateway down` reverts the VPN link's DNS in resolved (resolved's own answer, through resolvectl).
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cliIn, LAN_ANSWER, LAN_RESOLV_CONF, startDnsServer, VPN_ANSWER, VPN_RESOLVER } from './support/dns.js';
import { ipJson } from './support/ip.js';
import { startResolved } from './support/resolved.js';
import { kernelState } from './support/server-world.js';
import { ADDRESSES as A, createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

describe.skipIf(skipWithout('nft', 'dnsmasq'))('DNS through systemd-resolved with a real tincd', () => {
  it('no lookup reaches the LAN: server down, connected, tincd restarted; down reverts the link', async () => {
    const world = await createTincWorld(TINCD!);
    const ns = world.ns.client;
    await mkdir(`/etc/netns/${ns}`, { recursive: true });
    await writeFile(`/etc/netns/${ns}/resolv.conf`, LAN_RESOLV_CONF, { mode: 0o644 });
    const lanDns = await startDnsServer(world.ns.router, A.lanGateway, LAN_ANSWER);
    const resolved = await startResolved(ns);
    const resolvectl = async (...args: string[]) => {
      const exit = await resolved.resolvectl(...args);
      expect(exit.code, exit.stderr).toBe(0);
      return exit.stdout.trim();
    };
    /** The address resolved finds for `name`, or '' when it finds none. */
    const query = async (name: string) =>
      /: (\S+)/.exec((await resolved.resolvectl('query', '-4', '--legend=no', name)).stdout)?.[1] ?? '';
    const linkDns = async (link: string) => (await resolvectl('dns', link)).replace(/^Link \d+ \([^)]+\):\s*/, '');
    /** Until resolved finds `name` through the VPN (tinc may drop the first packets while it sets up a session key). */
    const throughVpn = (name: string) =>
      waitUntil(
        async () => (await query(name)) === VPN_ANSWER,
        30_000,
        () => `resolved never found ${name} through the VPN: ${resolved.output}`,
      );
    await resolvectl('dns', 'eth0', A.lanGateway); // as DHCP (networkd, NetworkManager) sets it
    await resolvectl('default-route', 'eth0', 'yes');
    expect(await query('www.example.org')).toBe(LAN_ANSWER);

    const flags = ['--kill-switch', '--lockdown', '--dns', VPN_RESOLVER, '--address', `${A.clientVpn}/16`];
    const installed = await installHook(world.client.confbase, ...flags, '--force');
    expect(installed.code, installed.stderr).toBe(0);
    const before = await kernelState(ns);
    const lanQueries = (await lanDns.queries()).length;
    const env = { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: resolved.env.DBUS_SYSTEM_BUS_ADDRESS };

    // tincd starts, its server down: tinc-up sets the VPN link's DNS, and nothing asks the LAN.
    let client = await startTincd(TINCD!, world.client, env);
    await waitUntil(
      async () => (await linkDns('vpn')) === VPN_RESOLVER,
      10_000,
      () => `tinc-up set no DNS on vpn\n${client.output}`,
    );
    expect(await query('boot.example.org')).toBe('');

    await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
    await waitUntil(
      async () =>
        (await ipJson<{ addr_info: { local: string }[] }[]>(world.ns.server, 'address', 'show', 'vpn')).some((l) =>
          l.addr_info.some((a) => a.local === VPN_RESOLVER),
        ),
      10_000,
      () => "the server's tinc-up put no address on vpn",
    );
    const vpnDns = await startDnsServer(world.ns.server, VPN_RESOLVER, VPN_ANSWER);
    await throughVpn('www.example.org');
    for (const name of ['mail.example.com', 'bank.example.net']) expect(await query(name)).toBe(VPN_ANSWER);
    expect(await vpnDns.queries()).toEqual(expect.arrayContaining(['mail.example.com', 'bank.example.net']));

    // A stop and a start of tincd (systemctl restart): the link and its settings go with tincd and come back.
    await client.stop('SIGTERM');
    expect(await query('stopped.example.org')).toBe('');
    client = await startTincd(TINCD!, world.client, env);
    await throughVpn('restarted.example.org');
    expect(await lanDns.queries()).toHaveLength(lanQueries);

    const down = await cliIn(ns, ['down', 'vpn'], resolved.env);
    expect(down.code, down.stderr).toBe(0);
    expect(await linkDns('vpn')).toBe('');
    expect(await resolvectl('domain', 'vpn')).toMatch(/:$/);
    expect(await query('news.example.org')).toBe(LAN_ANSWER);
    await client.stop('SIGKILL');
    expect(await kernelState(ns)).toBe(before);
  }, 150_000);
});
