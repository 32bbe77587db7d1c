// DNS for the leak tests: a dnsmasq per resolver that answers every name with its own address (so an answer
// says who gave it) and logs each query it sees (the count of the LAN's is the leak), and a "VPN" without
// tinc: a veth pair `vpn` from the client to a server namespace holding the VPN's resolver.
//
//   client ns                 router ns (LAN)                    server ns (VPN)
//   eth0 192.168.1.2/24 <-> eth0 192.168.1.1/24: dnsmasq
//   vpn  172.16.1.2/16  <--------------------------------------> vpn 172.16.1.1/16: dnsmasq
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from './cli.js';
import { type Exit, type RunOptions, runStatus } from './exec.js';
import { startDnsmasq } from './dnsmasq.js';
import { ip } from './ip.js';
import { createLan, type Lan } from './lan.js';
import { waitForLink } from './links.js';
import { createNetns, netnsExec } from './netns.js';
import { tempDir } from './package.js';
import { waitUntil } from './tinc.js';

/** What each resolver answers for any name: the answer tells which one was asked. */
export const LAN_ANSWER = '198.51.100.53';
export const VPN_ANSWER = '203.0.113.53';
export const VPN_RESOLVER = '172.16.1.1';
/** The server's real address (reached through the LAN's default route; nothing answers there). */
export const SERVER = '203.0.113.10';

export interface DnsServer {
  ns: string;
  address: string;
  /** The names it was asked, in order (from its --log-queries log). */
  queries(): Promise<string[]>;
}

/** dnsmasq on `address` in `ns`, answering every name with `answer`. */
export async function startDnsServer(ns: string, address: string, answer: string): Promise<DnsServer> {
  const dir = await tempDir('dnsmasq');
  const log = join(dir, 'queries.log');
  const running = startDnsmasq(ns, [
    `--listen-address=${address}`,
    '--bind-interfaces',
    `--address=/#/${answer}`,
    '--log-queries',
    `--log-facility=${log}`,
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
  ]);
  await waitUntil(
    async () => (await netnsExec(ns, 'ss', ['-Hlun', 'src', address, 'sport', '=', ':53'])).stdout.trim() !== '',
    20_000,
    () => `dnsmasq on ${address} in ${ns} did not start: ${running.output}`,
  );
  const queries = async () =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .flatMap((line) => /query\[\w+\] (\S+) from/.exec(line)?.[1] ?? []);
  return { ns, address, queries };
}

export interface DnsWorld {
  lan: Lan;
  client: string;
  server: string;
  lanDns: DnsServer;
  vpnDns: DnsServer;
  /** /etc/netns/CLIENT/resolv.conf: what `ip netns exec CLIENT` shows as /etc/resolv.conf. */
  resolvConf: string;
}

/** The LAN's resolver in the client's resolv.conf, as DHCP would have put it there. */
export const LAN_RESOLV_CONF =
  '# from DHCP\nnameserver 192.168.1.1\nsearch lan.example\noptions timeout:1 attempts:1\n';

export async function createDnsWorld(): Promise<DnsWorld> {
  const lan = await createLan({ clientAddress6: null, routerAddress6: null });
  const server = await createNetns('vpn-server');
  await ip(lan.client, 'link', 'add', 'vpn', 'type', 'veth', 'peer', 'name', 'vpn', 'netns', server);
  await ip(lan.client, 'address', 'add', '172.16.1.2/16', 'dev', 'vpn');
  await ip(server, 'address', 'add', `${VPN_RESOLVER}/16`, 'dev', 'vpn');
  await ip(lan.client, 'link', 'set', 'vpn', 'up');
  await ip(server, 'link', 'set', 'vpn', 'up');
  await waitForLink(lan.client, 'vpn');
  await waitForLink(server, 'vpn');
  const resolvConf = `/etc/netns/${lan.client}/resolv.conf`;
  await mkdir(`/etc/netns/${lan.client}`, { recursive: true });
  await writeFile(resolvConf, LAN_RESOLV_CONF, { mode: 0o644 });
  return {
    lan,
    client: lan.client,
    server,
    lanDns: await startDnsServer(lan.router, lan.gateway, LAN_ANSWER),
    vpnDns: await startDnsServer(server, VPN_RESOLVER, VPN_ANSWER),
    resolvConf,
  };
}

/** The address glibc finds for `name` in the namespace (`getent hosts`, through its resolv.conf), or ''. */
export async function lookUp(ns: string, name: string, options: RunOptions = {}): Promise<string> {
  const exit = await runStatus('ip', ['netns', 'exec', ns, 'getent', 'hosts', name], options);
  return exit.stdout.split(/\s+/)[0] ?? '';
}

/** A bus address where no bus is: the product must find no systemd-resolved. */
export const NO_BUS = { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/run/dbus/rg-test-no-bus' };

/** The CLI inside the namespace (`ip netns exec`: its resolv.conf, its mount namespace), as a hook runs there. */
export function cliIn(ns: string, args: readonly string[], env: NodeJS.ProcessEnv = NO_BUS): Promise<Exit> {
  return runStatus('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], { env: { ...process.env, ...env } });
}

/**
 * A private /etc for one program in the namespace: an overlay over the real /etc (never written: changes go to
 * `upper`), where /etc/resolv.conf is `upper`'s and no mount point, as on a host: what it is renamed over.
 */
export async function etcOverlay(
  ns: string,
): Promise<{ upper: string; run(file: string, args: string[]): Promise<Exit> }> {
  const dir = await tempDir('etc-overlay');
  const [upper, work] = [join(dir, 'upper'), join(dir, 'work')];
  await mkdir(upper);
  await mkdir(work);
  const script = 'mount -t overlay rg-test-etc -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && shift 2 && exec "$@"';
  const run = (file: string, args: string[]) =>
    runStatus(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        upper,
        work,
        file,
        ...args,
      ],
      { env: { ...process.env, ...NO_BUS } },
    );
  return { upper, run };
}
