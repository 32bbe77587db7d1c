// DNS through the VPN where no systemd-resolved runs: `up --dns` writes the namespace's resolv.conf (the one
// `ip netns exec` binds over /etc/resolv.conf), glibc then asks the VPN's resolver and the LAN's sees nothing;
// `down` puts the file back byte for byte. dnsmasq's query logs are the oracle.
import { chmod, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { CLI, cli } from './support/cli.js';
import {
  cliIn,
  createDnsWorld,
  etcOverlay,
  LAN_ANSWER,
  LAN_RESOLV_CONF,
  lookUp,
  NO_BUS,
  SERVER,
  VPN_ANSWER,
  VPN_RESOLVER,
  type DnsWorld,
} from './support/dns.js';
import { findProgram, runStatus } from './support/exec.js';
import { ip } from './support/ip.js';
import { tempDir } from './support/package.js';

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

it("a held kill switch keeps the VPN's resolver through a restart of tincd: tinc-up's arming leaves it", async () => {
  await expectOk(['up', 'vpn', SERVER, '--kill-switch', '--dns', VPN_RESOLVER]);
  const asTincd = { ...NO_BUS, INTERFACE: 'vpn' };
  expect((await cliIn(world.client, ['hook', 'tinc-down'], asTincd)).code).toBe(0);
  const armed = await cliIn(world.client, ['hook', 'tinc-up', '--kill-switch', '--remote', SERVER], asTincd);
  expect(armed.code, armed.stderr).toBe(0);
  // The LAN's resolver back now would be asked in clear: the kill switch lets the LAN through.
  expect(await readFile(world.resolvConf, 'utf8')).toMatch(/^nameserver 172\.16\.1\.1$/m);
  expect(await expectOk(['down', 'vpn'])).toContain('DNS: restored the previous /etc/resolv.conf');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});

/** A tinc client's confbase whose hosts/server names the server by its address, as install-hook finds it. */
async function clientConfbase(): Promise<string> {
  const confbase = await tempDir('tinc');
  await mkdir(join(confbase, 'hosts'));
  await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  await writeFile(join(confbase, 'hosts', 'server'), `Address = ${SERVER}\nSubnet = 0.0.0.0/0\n`);
  return confbase;
}

it("install-hook --kill-switch --dns: from tinc-up's arming, before any connection, no name goes to the LAN", async () => {
  const confbase = await clientConfbase();
  const where = ['install-hook', '--node', 'server', '--confbase', confbase];
  const installed = await cli([...where, '--kill-switch', '--dns', VPN_RESOLVER]);
  expect(installed.code, installed.stderr).toBe(0);
  const tincUp = await runStatus(findProgram('ip')!, ['netns', 'exec', world.client, join(confbase, 'tinc-up')], {
    env: { ...NO_BUS, PATH: '/nonexistent', INTERFACE: 'vpn' },
  });
  expect(tincUp.code, tincUp.stderr).toBe(0);
  // The server not reached yet: the VPN's resolver is the one asked (and answers here: the "VPN" is a veth).
  expect(await lookUp(world.client, 'boot.example.org')).toBe(VPN_ANSWER);
  expect(await world.lanDns.queries()).toEqual([]);
  expect(await askDirectly(world.lan.gateway, 'udp', 'boot-direct.example')).toBe('EACCES');
  expect(await expectOk(['down', 'vpn'])).toContain('DNS: restored the previous /etc/resolv.conf');
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});

/** A program that asks a resolver itself (its own resolver library, `dig @SERVER`): one query, UDP or TCP. */
const ASK = String.raw`
import errno, socket, struct, sys
server, proto, name = sys.argv[1:4]
query = struct.pack('>6H', 0x1234, 0x0100, 1, 0, 0, 0)
query += b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0' + struct.pack('>2H', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == 'udp' else socket.SOCK_STREAM)
s.settimeout(2)
try:
    if proto == 'udp':
        s.sendto(query, (server, 53))
    else:
        s.connect((server, 53))
        s.sendall(struct.pack('>H', len(query)) + query)
    print('answered' if s.recv(512) else 'closed')
except socket.timeout:
    print('silent')
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
`;

async function askDirectly(server: string, proto: 'udp' | 'tcp', name: string): Promise<string> {
  const exit = await runStatus('ip', ['netns', 'exec', world.client, 'python3', '-c', ASK, server, proto, name]);
  return exit.stdout.trim();
}

it("under a kill switch, DNS to the LAN's resolver is refused by rules; the VPN's resolver answers", async () => {
  const rulesBefore = await ip(world.client, 'rule', 'show');
  const rules6Before = await ip(world.client, '-6', 'rule', 'show');
  await expectOk(['up', 'vpn', SERVER, '--kill-switch', '--dns', VPN_RESOLVER]);
  const lanBefore = (await world.lanDns.queries()).length;
  // A program asking the LAN's resolver itself, over UDP and TCP: refused at once (EACCES), never in clear.
  expect(await askDirectly(world.lan.gateway, 'udp', 'direct-udp.example')).toBe('EACCES');
  expect(await askDirectly(world.lan.gateway, 'tcp', 'direct-tcp.example')).toBe('EACCES');
  expect(await world.lanDns.queries()).toHaveLength(lanBefore);
  // The VPN's resolver, asked directly and through glibc.
  expect(await askDirectly(VPN_RESOLVER, 'udp', 'vpn-udp.example')).toBe('answered');
  expect(await askDirectly(VPN_RESOLVER, 'tcp', 'vpn-tcp.example')).toBe('answered');
  expect(await lookUp(world.client, NAMES[0])).toBe(VPN_ANSWER);
  expect(await world.vpnDns.queries()).toEqual(
    expect.arrayContaining(['vpn-udp.example', 'vpn-tcp.example', NAMES[0]]),
  );
  // IPv6 too: any DNS but to the VPN's resolvers is refused.
  expect(await ip(world.client, '-6', 'rule', 'show')).toMatch(/30153:\tfrom all ipproto udp dport 53 prohibit/);

  const status = JSON.parse(await expectOk(['status', 'vpn', '--json']));
  expect(status.problems).toEqual([]);
  await ip(world.client, 'rule', 'del', 'priority', '30153', 'ipproto', 'tcp', 'dport', '53');
  const broken = JSON.parse((await cliIn(world.client, ['status', 'vpn', '--json'])).stdout);
  expect(broken.problems).toEqual(['the DNS rule priority 30153 (IPv4) ipproto tcp dport 53 prohibit is missing']);

  await expectOk(['down', 'vpn']);
  expect(await ip(world.client, 'rule', 'show')).toBe(rulesBefore);
  expect(await ip(world.client, '-6', 'rule', 'show')).toBe(rules6Before);
  expect(await askDirectly(world.lan.gateway, 'udp', 'after-down.example')).toBe('answered');
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

describe('where /etc/resolv.conf is a file of its own (no bind mount)', () => {
  let etc: Awaited<ReturnType<typeof etcOverlay>>;
  let file: string;

  beforeEach(async () => {
    etc = await etcOverlay(world.client);
    file = join(etc.upper, 'resolv.conf');
  });

  it('replaces it by a rename, leaving no temporary file, and renames the old bytes back on down', async () => {
    await writeFile(file, LAN_RESOLV_CONF, { mode: 0o644 });
    const before = (await stat(file)).ino;
    const up = await etc.run(process.execPath, [CLI, 'up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
    expect(up.stderr).toBe('');
    expect((await stat(file)).ino).not.toBe(before);
    expect(await readFile(file, 'utf8')).toContain(`nameserver ${VPN_RESOLVER}\n`);
    expect((await etc.run('getent', ['hosts', 'www.example.org'])).stdout).toMatch(new RegExp(`^${VPN_ANSWER} `));
    expect(await readdir(etc.upper)).toEqual(['resolv.conf']);
    expect((await etc.run(process.execPath, [CLI, 'down', 'vpn'])).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(LAN_RESOLV_CONF);
  });

  it('refuses a symbolic link before changing anything', async () => {
    await symlink('../run/systemd/resolve/stub-resolv.conf', file);
    const routes = await ip(world.client, 'route', 'show', 'table', 'all');
    const up = await etc.run(process.execPath, [CLI, 'up', 'vpn', SERVER, '--dns', VPN_RESOLVER]);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      '/etc/resolv.conf is a symbolic link to ../run/systemd/resolve/stub-resolv.conf, which its owner (systemd-resolved, resolvconf, NetworkManager) rewrites: refusing to write through it',
    );
    expect(await readlink(file)).toBe('../run/systemd/resolve/stub-resolv.conf');
    expect(await ip(world.client, 'route', 'show', 'table', 'all')).toBe(routes);
  });
});

it('install-hook passes --dns and --dns-domain on to SERVER-up; SERVER-down puts the file back', async () => {
  const confbase = await clientConfbase();
  const where = ['install-hook', '--node', 'server', '--confbase', confbase];
  const installed = await cli([...where, '--dns', VPN_RESOLVER, '--dns-domain', 'corp.example']);
  expect(installed.code, installed.stderr).toBe(0);
  expect(await readFile(join(confbase, 'hosts', 'server-up'), 'utf8')).toContain(
    `'hook' 'up' '--dns' '${VPN_RESOLVER}' '--dns-domain' 'corp.example'\n`,
  );
  const asTincd = (script: string) =>
    runStatus(findProgram('ip')!, ['netns', 'exec', world.client, '/bin/sh', '-c', join(confbase, 'hosts', script)], {
      env: { ...NO_BUS, PATH: '/nonexistent', INTERFACE: 'vpn', REMOTEADDRESS: SERVER, NODE: 'server' },
    });
  expect((await asTincd('server-up')).code).toBe(0);
  expect(await lookUp(world.client, 'wiki.corp.example')).toBe(VPN_ANSWER);
  expect((await asTincd('server-down')).code).toBe(0);
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);

  const server = await cli([
    'install-hook',
    '--server',
    '--confbase',
    confbase,
    '--address',
    '172.16.1.1/16',
    '--dns',
    VPN_RESOLVER,
  ]);
  expect(server.code).toBe(2);
  expect(server.stderr).toContain('--dns is for a client (--node), not with --server');
});

it('gives up on a bus that never answers, within the hook deadline, before any route', async () => {
  const dir = await tempDir('silent-bus');
  const path = join(dir, 'bus');
  const silent = createServer(() => undefined).listen(path);
  defer(() => silent.close());
  await once(silent, 'listening');
  const routes = await ip(world.client, 'route', 'show', 'table', 'all');
  const hook = await cliIn(world.client, ['hook', 'up', '--dns', VPN_RESOLVER], {
    DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path}`,
    INTERFACE: 'vpn',
    REMOTEADDRESS: SERVER,
    NODE: 'server',
  });
  expect(hook.code).toBe(1);
  expect(hook.stderr).toContain(`the D-Bus bus at ${path} did not answer within 300 ms`);
  expect(await ip(world.client, 'route', 'show', 'table', 'all')).toBe(routes);
  expect(await readFile(world.resolvConf, 'utf8')).toBe(LAN_RESOLV_CONF);
});
