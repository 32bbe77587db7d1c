// DNS through the VPN where systemd-resolved runs: a real resolved (Debian's, test/support/resolved.ts) in the
// client's namespace on a private bus, the uplink's DNS set to the LAN's dnsmasq as DHCP would. `up --dns` sets
// the VPN link's resolvers and '~.' over D-Bus; resolvectl (resolved's own answer) is the oracle for the link's
// settings, and for lookups through resolved, which then reach the VPN's dnsmasq and not the LAN's.
import { readFile } from 'node:fs/promises';
import { beforeEach, expect, it } from 'vitest';
import {
  cliIn,
  createDnsWorld,
  LAN_ANSWER,
  LAN_RESOLV_CONF,
  NO_BUS,
  SERVER,
  VPN_ANSWER,
  VPN_RESOLVER,
  type DnsWorld,
} from './support/dns.js';
import { ip } from './support/ip.js';
import { startResolved, type Resolved } from './support/resolved.js';

let world: DnsWorld;
let resolved: Resolved;

beforeEach(async () => {
  world = await createDnsWorld();
  resolved = await startResolved(world.client);
  await expectResolvectl('dns', 'eth0', world.lan.gateway);
  await expectResolvectl('default-route', 'eth0', 'yes');
});

async function expectResolvectl(...args: string[]): Promise<string> {
  const exit = await resolved.resolvectl(...args);
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return exit.stdout.trim();
}

/** The link's setting as resolvectl prints it ("Link 4 (vpn): 172.16.1.1"): what follows the colon. */
async function linkSetting(what: 'dns' | 'domain' | 'default-route', link: string): Promise<string> {
  return (await expectResolvectl(what, link)).replace(/^Link \d+ \([^)]+\):\s*/, '');
}

/** The address resolved finds for `name`. */
async function query(name: string): Promise<string> {
  return /: (\S+)/.exec(await expectResolvectl('query', '-4', '--legend=no', name))?.[1] ?? '';
}

async function expectOk(args: string[]): Promise<string> {
  const exit = await cliIn(world.client, args, resolved.env);
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return exit.stdout;
}

it('sends every lookup through the VPN link while up, none to the LAN, and reverts the link on down', async () => {
  expect(await query('www.example.org')).toBe(LAN_ANSWER);

  const out = await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  expect(out).toContain(`DNS: ${VPN_RESOLVER} for every name through vpn (systemd-resolved)`);
  expect(await linkSetting('dns', 'vpn')).toBe(VPN_RESOLVER);
  expect(await linkSetting('domain', 'vpn')).toBe('~.');
  expect(await linkSetting('default-route', 'vpn')).toBe('yes');
  const leaked = (await world.lanDns.queries()).length;
  // The name asked before, too: no answer from the LAN's resolver or cache.
  for (const name of ['www.example.org', 'mail.example.com', 'bank.example.net'])
    expect(await query(name)).toBe(VPN_ANSWER);
  expect(await world.lanDns.queries()).toHaveLength(leaked);
  expect(await world.vpnDns.queries()).toEqual(expect.arrayContaining(['mail.example.com', 'bank.example.net']));
  const status = JSON.parse(await expectOk(['status', 'vpn', '--json']));
  expect(status.dns).toEqual({ via: 'resolved', servers: [VPN_RESOLVER], domains: [], problems: [] });
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);

  expect(await expectOk(['down', 'vpn'])).toContain('DNS: reverted vpn in systemd-resolved');
  expect(await linkSetting('dns', 'vpn')).toBe('');
  expect(await linkSetting('domain', 'vpn')).toBe('');
  expect(await query('news.example.org')).toBe(LAN_ANSWER);
});

it('sends only the split domains through the VPN link with --dns-domain', async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER, '--dns-domain', 'corp.example']);
  expect(await linkSetting('domain', 'vpn')).toBe('~corp.example');
  expect(await linkSetting('default-route', 'vpn')).toBe('no');
  expect(await query('wiki.corp.example')).toBe(VPN_ANSWER);
  expect(await query('www.example.org')).toBe(LAN_ANSWER);
  await expectOk(['down', 'vpn']);
});

it("reports the link's DNS reverted by someone else", async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  await expectResolvectl('revert', 'vpn');
  const exit = await cliIn(world.client, ['status', 'vpn'], resolved.env);
  expect(exit.code).toBe(1);
  expect(exit.stdout).toContain('problem: DNS of vpn in systemd-resolved changed by someone else: servers none');
});

it('forgets the settings with the link: a down after the VPN link went says so', async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  await ip(world.client, 'link', 'del', 'vpn');
  expect(await expectResolvectl('status')).not.toContain(VPN_RESOLVER);
  expect(await expectOk(['down', 'vpn'])).toContain('DNS: vpn is gone, and its settings in systemd-resolved with it');
});

it('keeps DNS in resolv.conf, set before resolved was on the bus, until down puts the file back', async () => {
  expect((await cliIn(world.client, ['up', 'vpn', SERVER, '--dns', VPN_RESOLVER], NO_BUS)).code).toBe(0);
  expect(await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER])).toContain('in /etc/resolv.conf');
  expect(await linkSetting('dns', 'vpn')).toBe('');
  expect(await expectOk(['down', 'vpn'])).toContain('DNS: restored the previous /etc/resolv.conf');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});
