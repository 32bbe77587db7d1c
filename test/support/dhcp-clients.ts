// The DHCP clients people run besides Debian's dhclient (dhcp.ts), for the client's uplink, each kept away from the
// host's files:
//   - dhcpcd (Raspberry Pi OS, Arch): configures the address and routes itself; its hooks (which write resolv.conf
//     and NTP settings) are replaced by true(1); its lease and run-time files are the test's own directories,
//     bind-mounted over /var/lib/dhcpcd and /run in a mount namespace of its own.
//   - busybox udhcpc (OpenWrt, Alpine): the lease goes to Debian's /etc/udhcpc/default.script, which configures
//     the uplink with busybox ip and writes /etc/resolv.conf: the namespace's own (privateResolvConf).
//   - systemd-networkd's own client (test/support/networkd.ts: its own mount namespace, /run and bus): `DHCP=ipv4`
//     on the uplink, nothing taken from the lease but the address and the router; renews on `networkctl renew`.
// dhcpcd and udhcpc each run in a UTS namespace of its own (a host name option stays there). renew() asks for a
// renewal now (both renew on SIGUSR1, which reaches them: every step of their command line execs): the same
// address, and whatever the server says of the router now.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { start, type Running } from './exec.js';
import { privateResolvConf, UPLINK, waitForLease, type UplinkState } from './dhcp.js';
import { type Networkd, startNetworkd } from './networkd.js';
import { tempDir } from './package.js';

export const DHCPCD = '/usr/sbin/dhcpcd';
export const UDHCPC = '/sbin/udhcpc';
export const UDHCPC_SCRIPT = '/etc/udhcpc/default.script';

export interface DhcpClient {
  readonly name: string;
  /** Starts it in the foreground and waits for its lease. */
  obtain(): Promise<UplinkState>;
  /** Asks for a renewal now, and waits until the default route names `router`. */
  renew(router: string): Promise<UplinkState>;
}

abstract class ForegroundClient implements DhcpClient {
  abstract readonly name: string;
  protected running?: Running;

  constructor(
    readonly client: string,
    readonly dir: string,
  ) {}

  /** Its command line, `ip netns exec CLIENT ...`. */
  protected abstract args(): string[];

  async obtain(): Promise<UplinkState> {
    const running = start('ip', ['netns', 'exec', this.client, 'unshare', '--uts', ...this.args()], {
      timeoutMs: null,
    });
    defer(() => running.child.kill('SIGKILL'));
    this.running = running;
    return waitForLease(this.client, running);
  }

  async renew(router: string): Promise<UplinkState> {
    if (!this.running) throw new Error(`${this.name}: renew before obtain`);
    this.running.child.kill('SIGUSR1');
    return waitForLease(this.client, this.running, (s) => s.defaults.some((d) => d.startsWith(`via ${router} `)));
  }
}

export class Dhcpcd extends ForegroundClient {
  readonly name = 'dhcpcd';

  static async create(client: string): Promise<Dhcpcd> {
    const dir = await tempDir('dhcpcd');
    await mkdir(join(dir, 'lib'));
    await mkdir(join(dir, 'run'));
    // noarp: no address probing (5 s a lease); the routers option only.
    await writeFile(join(dir, 'dhcpcd.conf'), 'noarp\noption routers\nnohook resolv.conf\n');
    await privateResolvConf(client);
    return new Dhcpcd(client, dir);
  }

  protected args(): string[] {
    const { dir } = this;
    const dhcpcd = `${DHCPCD} --config ${dir}/dhcpcd.conf --script /bin/true --nobackground --debug --ipv4only ${UPLINK}`;
    return [
      'unshare',
      '--mount',
      'sh',
      '-c',
      `mount --bind ${dir}/lib /var/lib/dhcpcd && mount --bind ${dir}/run /run && exec ${dhcpcd}`,
    ];
  }
}

export class Udhcpc extends ForegroundClient {
  readonly name = 'udhcpc';

  static async create(client: string): Promise<Udhcpc> {
    await privateResolvConf(client);
    return new Udhcpc(client, await tempDir('udhcpc'));
  }

  protected args(): string[] {
    return [UDHCPC, '-f', '-i', UPLINK, '-s', UDHCPC_SCRIPT, '-p', join(this.dir, 'udhcpc.pid')];
  }
}

const NETWORKD_DHCP_UPLINK = `[Match]
Name=${UPLINK}
[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
[DHCPv4]
UseDNS=no
UseNTP=no
UseHostname=no
UseDomains=no
`;

export class NetworkdDhcp implements DhcpClient {
  readonly name = 'systemd-networkd';
  private networkd?: Networkd;

  constructor(readonly client: string) {}

  static async create(client: string): Promise<NetworkdDhcp> {
    return new NetworkdDhcp(client);
  }

  async obtain(): Promise<UplinkState> {
    this.networkd = await startNetworkd(this.client, UPLINK, { [`${UPLINK}.network`]: NETWORKD_DHCP_UPLINK });
    return waitForLease(this.client, this.networkd);
  }

  async renew(router: string): Promise<UplinkState> {
    const networkd = this.networkd;
    if (!networkd) throw new Error(`${this.name}: renew before obtain`);
    const asked = await networkd.networkctl('renew', UPLINK);
    if (asked.code !== 0) throw new Error(`networkctl renew ${UPLINK}: ${asked.stderr}`);
    return waitForLease(this.client, networkd, (s) => s.defaults.some((d) => d.startsWith(`via ${router} `)));
  }
}
