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
import { startDnsmasq } from './dnsmasq.js';
import { createNetns, netnsExec } from './netns.js';
import { tempDir } from './package.js';
import { waitUntil } from './tinc.js';

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
  /** More `--dhcp-option=` values for its dnsmasq (DnsmasqOptions). */
  dhcpOptions: string[];
  dnsmasq?: Running;
}

/** A LAN namespace for the subnet (a /24 of 192.168/16 or 10/8); dnsmasq starts when a client is plugged in. */
export async function createDhcpLan(label: string, subnet: string, dhcpOptions: string[] = []): Promise<DhcpLan> {
  if (!/^(192\.168|10\.\d{1,3})\.\d{1,3}$/.test(subnet)) throw new Error(`createDhcpLan: not a private /24: ${subnet}`);
  const dir = await tempDir(`dnsmasq-${label}`);
  return { ns: await createNetns(label), subnet, gateway: `${subnet}.1`, dir, dhcpOptions };
}

export interface DnsmasqOptions {
  /** The interface it serves. */
  iface: string;
  /** The first three octets of the /24 it leases from (.100-.150). */
  subnet: string;
  /** The router it names (option 3). */
  router: string;
  /** Its lease and pid files. */
  dir: string;
  /** More `--dhcp-option=` values, e.g. '121,203.0.113.0/24,192.168.50.1' (classless routes). */
  dhcpOptions?: string[];
}

/** dnsmasq as a DHCP server only (no DNS). */
export function startDhcpServer(ns: string, o: DnsmasqOptions): Running {
  return startDnsmasq(ns, [
    '--port=0',
    `--interface=${o.iface}`,
    '--bind-interfaces',
    '--dhcp-authoritative',
    `--dhcp-range=${o.subnet}.100,${o.subnet}.150,255.255.255.0,1h`,
    `--dhcp-option=3,${o.router}`,
    ...(o.dhcpOptions ?? []).map((option) => `--dhcp-option=${option}`),
    `--dhcp-leasefile=${join(o.dir, 'leases')}`,
    `--pid-file=${join(o.dir, 'dnsmasq.pid')}`,
  ]);
}

/** Waits until the namespace's DHCP server listens. */
export async function dhcpServerListening(ns: string, dnsmasq: Running): Promise<void> {
  await waitUntil(
    async () => (await netnsExec(ns, 'ss', ['-Hlun', 'sport', '=', ':67'])).stdout.trim() !== '',
    DEADLINE_MS,
    () => `dnsmasq in ${ns} did not start: ${dnsmasq.output}`,
  );
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
  const { subnet, gateway: router, dir, dhcpOptions } = lan;
  lan.dnsmasq = startDhcpServer(lan.ns, { iface: FAR_END, subnet, router, dir, dhcpOptions });
  await dhcpServerListening(lan.ns, lan.dnsmasq);
}

/** The client's IPv4 addresses on the uplink and its default routes, as ip -j shows them. */
export interface UplinkState {
  addresses: string[];
  defaults: string[];
}

export async function uplinkState(client: string): Promise<UplinkState> {
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

/**
 * The namespace's own /etc/resolv.conf, which `ip netns exec` bind-mounts over the host's (test/run keeps
 * /etc/netns on a tmpfs of its own): what a DHCP client's script writes lands there. Checked to be in effect.
 */
export async function privateResolvConf(client: string): Promise<void> {
  const etc = `/etc/netns/${client}`;
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'resolv.conf'), `# ${client}'s own\n`);
  defer(() => rm(etc, { recursive: true, force: true }));
  const seen = (await netnsExec(client, 'cat', ['/etc/resolv.conf'])).stdout;
  if (seen !== `# ${client}'s own\n`) throw new Error(`ip netns exec did not bind ${etc}/resolv.conf: ${seen}`);
}

/** Waits until the client has a lease (an address on the uplink, a default route) that `wanted` accepts. */
export async function waitForLease(
  client: string,
  running: { readonly output: string },
  wanted: (state: UplinkState) => boolean = () => true,
): Promise<UplinkState> {
  let state: UplinkState | undefined;
  await waitUntil(
    async () => {
      state = await uplinkState(client);
      return state.addresses.length > 0 && state.defaults.length > 0 && wanted(state);
    },
    DEADLINE_MS,
    () => `no lease in ${client}: ${JSON.stringify(state)}\n${running.output}`,
  );
  return state!;
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
    await privateResolvConf(client);
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
  async obtain(): Promise<UplinkState> {
    const running = start('ip', this.args('-d', '-v'), { timeoutMs: null });
    defer(() => running.child.kill('SIGKILL'));
    this.running = running;
    return waitForLease(this.client, running);
  }

  /** `dhclient -r`: the running dhclient is stopped and the lease released (dhclient-script flushes the address). */
  async release(): Promise<void> {
    const exit = await start('ip', this.args('-r', '-v')).exit;
    if (exit.code !== 0) throw new Error(`dhclient -r: ${exit.code} ${exit.stderr}`);
    await this.running?.exited;
    this.running = undefined;
  }
}
