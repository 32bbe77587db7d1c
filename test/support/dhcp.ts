// DHCP for roaming tests: "LAN" namespaces each with a dnsmasq serving its own subnet, and Debian's dhclient (with
// dhclient-script) in the client, roaming between them as a network manager does on reassociation: release (the
// script flushes the address), the uplink's far end moved to another LAN (carrier lost and back, the same device in
// the client), a new lease in the new subnet with a new default gateway.
//
// dhclient-script must never reach the host's files: it runs under `ip netns exec` (which bind-mounts
// /etc/netns/NAME/resolv.conf, on test/run's private tmpfs, over /etc/resolv.conf) in a UTS namespace of its own (a
// hostname option stays there), with a configuration that asks for no name servers, domain or NTP servers (so
// make_resolv_conf and the timesyncd hook have nothing to write), and the lease and pid files in a temp dir.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { start, type Running } from './exec.js';
import { ip, ipJson } from './ip.js';
import { waitForLink } from './links.js';
import { createNetns, netnsExec } from './netns.js';
import { tempDir } from './package.js';
import { waitUntil } from './tinc.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';
export const DHCLIENT = '/usr/sbin/dhclient';
export const DHCLIENT_SCRIPT = '/sbin/dhclient-script';
/** The client's uplink, and its far end's name in whichever LAN it is plugged into. */
export const UPLINK = 'eth0';
const FAR_END = 'lan0';
const DEADLINE_MS = 30_000;

export interface DhcpLan {
  ns: string;
  /** The first three octets, e.g. '192.168.50'. */
  subnet: string;
  gateway: string;
  dir: string;
  /** More `--dhcp-option=` values for dnsmasq, e.g. '121,203.0.113.0/24,192.168.50.1' (classless routes). */
  dhcpOptions: string[];
  dnsmasq?: Running;
}

/** A LAN namespace for the subnet (a /24 of 192.168/16 or 10/8); dnsmasq starts when a client is plugged in. */
export async function createDhcpLan(label: string, subnet: string, dhcpOptions: string[] = []): Promise<DhcpLan> {
  if (!/^(192\.168|10\.\d{1,3})\.\d{1,3}$/.test(subnet)) throw new Error(`createDhcpLan: not a private /24: ${subnet}`);
  const dir = await tempDir(`dnsmasq-${label}`);
  return { ns: await createNetns(label), subnet, gateway: `${subnet}.1`, dir, dhcpOptions };
}

function startDnsmasq(lan: DhcpLan): Running {
  const running = start(
    'ip',
    [
      'netns',
      'exec',
      lan.ns,
      DNSMASQ,
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--port=0',
      '--user=root',
      `--interface=${FAR_END}`,
      '--bind-interfaces',
      '--dhcp-authoritative',
      `--dhcp-range=${lan.subnet}.100,${lan.subnet}.150,255.255.255.0,1h`,
      `--dhcp-option=3,${lan.gateway}`,
      ...lan.dhcpOptions.map((o) => `--dhcp-option=${o}`),
      `--dhcp-leasefile=${join(lan.dir, 'leases')}`,
      `--pid-file=${join(lan.dir, 'dnsmasq.pid')}`,
    ],
    { timeoutMs: null },
  );
  defer(() => running.child.kill('SIGKILL'));
  return running;
}

/**
 * Plugs the client's uplink into the LAN: the first time a veth pair (eth0 in the client, lan0 in the LAN), later
 * its far end moved over from the LAN it was in (whose dnsmasq stops). The LAN's end gets the gateway's address and
 * dnsmasq starts on it.
 */
export async function plugInto(client: string, lan: DhcpLan, from?: DhcpLan): Promise<void> {
  if (from) {
    from.dnsmasq?.child.kill('SIGTERM');
    await from.dnsmasq?.exited;
    from.dnsmasq = undefined;
    await ip(from.ns, 'link', 'set', FAR_END, 'netns', lan.ns);
  } else {
    await ip(
      client,
      'link',
      'add',
      UPLINK,
      'address',
      '02:00:00:00:05:02',
      'type',
      'veth',
      'peer',
      'name',
      FAR_END,
      'address',
      '02:00:00:00:05:01',
      'netns',
      lan.ns,
    );
    await ip(client, 'link', 'set', UPLINK, 'up');
  }
  await ip(lan.ns, 'addr', 'add', `${lan.gateway}/24`, 'dev', FAR_END);
  await ip(lan.ns, 'link', 'set', FAR_END, 'up');
  await waitForLink(lan.ns, FAR_END);
  await waitForLink(client, UPLINK);
  lan.dnsmasq = startDnsmasq(lan);
  await waitUntil(
    async () => (await netnsExec(lan.ns, 'ss', ['-Hlun', 'sport', '=', ':67'])).stdout.trim() !== '',
    DEADLINE_MS,
    () => `dnsmasq in ${lan.ns} did not start: ${lan.dnsmasq?.output}`,
  );
}

/** The client's IPv4 addresses on the uplink and its default routes, as ip -j shows them. */
export async function uplinkState(client: string): Promise<{ addresses: string[]; defaults: string[] }> {
  const addrs = await ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(
    client,
    '-4',
    'addr',
    'show',
    'dev',
    UPLINK,
  );
  const routes = await ipJson<{ gateway?: string; dev: string }[]>(client, '-4', 'route', 'show', 'default');
  return {
    addresses: addrs.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)),
    defaults: routes.map((r) => `via ${r.gateway} dev ${r.dev}`),
  };
}

/** Debian's dhclient for the client's uplink, its files in a temp dir. */
export class Dhclient {
  running?: Running;
  private constructor(
    readonly client: string,
    readonly dir: string,
  ) {}

  /** With `classlessRoutes`, it also asks for option 121, which Debian's rfc3442 exit hook installs as routes. */
  static async create(client: string, options: { classlessRoutes?: boolean } = {}): Promise<Dhclient> {
    const dir = await tempDir('dhclient');
    // What the client asks for: no name servers, domain, host name or NTP servers (see the top of this file).
    const conf = options.classlessRoutes
      ? 'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n' +
        'request subnet-mask, broadcast-address, routers, interface-mtu, rfc3442-classless-static-routes;\n'
      : 'request subnet-mask, broadcast-address, routers, interface-mtu;\n';
    await writeFile(join(dir, 'dhclient.conf'), conf);
    // `ip netns exec` bind-mounts this over /etc/resolv.conf; test/run keeps /etc/netns on a tmpfs of its own.
    const etc = `/etc/netns/${client}`;
    await mkdir(etc, { recursive: true });
    await writeFile(join(etc, 'resolv.conf'), `# ${client}'s own\n`);
    defer(() => rm(etc, { recursive: true, force: true }));
    const seen = (await netnsExec(client, 'cat', ['/etc/resolv.conf'])).stdout;
    if (seen !== `# ${client}'s own\n`) throw new Error(`ip netns exec did not bind ${etc}/resolv.conf: ${seen}`);
    return new Dhclient(client, dir);
  }

  private args(...extra: string[]): string[] {
    return [
      'netns',
      'exec',
      this.client,
      'unshare',
      '--uts',
      DHCLIENT,
      ...extra,
      '-sf',
      DHCLIENT_SCRIPT,
      '-cf',
      join(this.dir, 'dhclient.conf'),
      '-lf',
      join(this.dir, 'dhclient.leases'),
      '-pf',
      join(this.dir, 'dhclient.pid'),
      UPLINK,
    ];
  }

  /** Starts dhclient in the foreground and waits for its lease: an address on the uplink and a default route. */
  async obtain(): Promise<{ addresses: string[]; defaults: string[] }> {
    const running = start('ip', this.args('-d', '-v'), { timeoutMs: null });
    defer(() => running.child.kill('SIGKILL'));
    this.running = running;
    let state: Awaited<ReturnType<typeof uplinkState>> | undefined;
    await waitUntil(
      async () => {
        state = await uplinkState(this.client);
        return state.addresses.length > 0 && state.defaults.length > 0;
      },
      DEADLINE_MS,
      () => `no lease in ${this.client}: ${JSON.stringify(state)}\n${running.output}`,
    );
    return state!;
  }

  /** `dhclient -r`: the running dhclient is stopped and the lease released (dhclient-script flushes the address). */
  async release(): Promise<void> {
    const exit = await start('ip', this.args('-r', '-v')).exit;
    if (exit.code !== 0) throw new Error(`dhclient -r: ${exit.code} ${exit.stderr}`);
    await this.running?.exited;
    this.running = undefined;
  }
}
