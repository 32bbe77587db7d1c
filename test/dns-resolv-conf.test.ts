// DNS through the VPN where no systemd-resolved runs: `up --dns` writes the namespace's resolv.conf (the one
// `ip netns exec` binds over /etc/resolv.conf), glibc then asks the VPN's resolver and the LAN's sees nothing;
// `down` puts the file back byte for byte. dnsmasq's query logs are the oracle.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { beforeEach, expect, it } from 'vitest';
import {
  cliIn,
  createDnsWorld,
  LAN_ANSWER,
  LAN_RESOLV_CONF,
  lookUp,
  SERVER,
  VPN_ANSWER,
  VPN_RESOLVER,
  type DnsWorld,
} from './support/dns.js';

let world: DnsWorld;

beforeEach(async () => {
  world = await createDnsWorld();
});

const NAMES = ['www.example.org', 'mail.example.com', 'bank.example.net'];

async function expectOk(args: string[]): Promise<string> {
  const exit = await cliIn(world.client, args);
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return exit.stdout;
}

it('sends every lookup to the VPN resolver while up, none to the LAN, and restores the file on down', async () => {
  // The leak as it is: the LAN's resolver answers.
  expect(await lookUp(world.client, NAMES[0])).toBe(LAN_ANSWER);
  const leakedBefore = (await world.lanDns.queries()).length;
  expect(leakedBefore).toBeGreaterThan(0);
  await chmod(world.resolvConf, 0o640);

  const out = await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  expect(out).toContain(`DNS: ${VPN_RESOLVER} for every name in /etc/resolv.conf`);
  for (const name of NAMES) expect(await lookUp(world.client, name)).toBe(VPN_ANSWER);
  expect(await world.lanDns.queries()).toHaveLength(leakedBefore);
  expect(await world.vpnDns.queries()).toEqual(expect.arrayContaining(NAMES));

  const status = JSON.parse(await expectOk(['status', 'vpn', '--json']));
  expect(status.dns).toEqual({ via: 'resolv.conf', servers: [VPN_RESOLVER], domains: [], problems: [] });

  expect(await expectOk(['down', 'vpn'])).toContain('DNS: restored the previous /etc/resolv.conf');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
  expect((await stat(world.resolvConf)).mode & 0o777).toBe(0o640);
  expect(await lookUp(world.client, NAMES[0])).toBe(LAN_ANSWER);
});

it('keeps the first file through a second up (as after a crash) and restores it on down', async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  // A second up, with another resolver: the file kept is still the LAN's, not ours.
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER, '--dns', '172.16.1.3']);
  expect(await readFile(world.resolvConf, 'utf8')).toMatch(/nameserver 172\.16\.1\.1\nnameserver 172\.16\.1\.3\n/);
  await expectOk(['down', 'vpn']);
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});

it('an up without --dns takes the DNS it set earlier away', async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  expect(await expectOk(['up', 'vpn', SERVER])).toContain('DNS: restored the previous /etc/resolv.conf');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});

it('reports a file replaced by someone else, and leaves that file on down', async () => {
  await expectOk(['up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
  const theirs = 'nameserver 192.168.1.1\n';
  await writeFile(world.resolvConf, theirs);
  const exit = await cliIn(world.client, ['status', 'vpn']);
  expect(exit.code).toBe(1);
  expect(exit.stdout).toContain('problem: /etc/resolv.conf was replaced by someone else');
  expect(await expectOk(['down', 'vpn'])).toContain('was replaced since, left as it is');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(theirs);
});

it('refuses split DNS domains without --dns, and bad servers, before changing anything', async () => {
  const noServer = await cliIn(world.client, ['up', 'vpn', SERVER, '--dns-domain', 'corp.example']);
  expect(noServer.code).toBe(2);
  expect(noServer.stderr).toContain('--dns-domain needs --dns');
  const bad = await cliIn(world.client, ['up', 'vpn', SERVER, '--dns', 'resolver.example']);
  expect(bad.code).toBe(2);
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});
