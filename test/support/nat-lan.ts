// Two home routers on one subnet, both masquerading: the roam no local address change reveals. The client keeps
// 192.168.1.2 when its default moves from router A to router B, yet every connection it had went through A's
// NAT, which B never saw.
//
//   client ns                lan ns (br0)      router A ns                         core ns ("the internet")
//   eth0 192.168.1.2/24 <-> c0    a0      <-> lan0 192.168.1.1/24   wan0 203.0.113.2/30 <-> wa 203.0.113.1/30
//   vpn  172.16.2.2/16          b0        <-> lan0 192.168.1.254/24 wan0 203.0.113.6/30 <-> wb 203.0.113.5/30
//   default via 192.168.1.1                   (router B ns)                                ws 198.51.100.1/24
//                                                                    server ns eth0 198.51.100.10/24 <-> ws
//
// The core has no route to 192.168.1.0/24: only the routers' masquerade gets the client out. The UDP echo on
// the core (198.51.100.1) sees a router's WAN address on the direct path, the server's address through the VPN.
// With `dhcp`, the client's address and default come from dnsmasq on the bridge (192.168.1.250), which names
// router A until announceRouter() names another; the client runs a DHCP client of the test's choosing.
import { dhcpServerListening, startDhcpServer } from './dhcp.js';
import type { Running } from './exec.js';
import { ip } from './ip.js';
import { createNetns, enableForwarding } from './netns.js';
import { tempDir } from './package.js';
import {
  ADDRESSES,
  createTincNode,
  ECHO_PORT,
  forwardAndMasquerade,
  type NetnsProcess,
  shareHostFiles,
  startUdpEcho,
  type TincNode,
  udpProbe,
  wire,
} from './tinc.js';

export const NAT_LAN = {
  client: '192.168.1.2',
  routerA: '192.168.1.1',
  routerB: '192.168.1.254',
  wanA: '203.0.113.2',
  wanB: '203.0.113.6',
  echo: '198.51.100.1',
  server: ADDRESSES.server,
} as const;

export interface NatLanWorld {
  ns: { client: string; lan: string; routerA: string; routerB: string; core: string; server: string };
  client: TincNode;
  server: TincNode;
  /** The bridge's DHCP server, with `dhcp`. */
  dhcp?: { dir: string; dnsmasq: Running };
}

export interface NatLanOptions {
  /** The client's uplink configured by DHCP (a DHCP server on the bridge) rather than by hand. */
  dhcp?: boolean;
  /** More lines for the client's tinc.conf. */
  clientConf?: string[];
}

const DHCP_SERVER = '192.168.1.250';

/** A home router: its LAN side on the bridge's port `port`, its WAN side to the core, masquerading. */
async function homeRouter(lan: string, port: string, core: string, coreDev: string, addresses: string[]) {
  const [lanAddress, wan, coreSide] = addresses;
  const router = await createNetns(`nat-${port}`);
  await ip(lan, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', router);
  await ip(lan, 'link', 'set', port, 'master', 'br0', 'up');
  await ip(router, 'address', 'add', `${lanAddress}/24`, 'dev', 'lan0');
  await ip(router, 'link', 'set', 'lan0', 'up');
  await wire(router, 'wan0', `${wan}/30`, core, coreDev, `${coreSide}/30`, coreSide);
  await forwardAndMasquerade(router, 'wan0', '192.168.1.0/24');
  return router;
}

/** The namespaces, the two routers' NAT, the server's forwarding and masquerade, and tinc's configurations. */
export async function createNatLanWorld(tincd: string, options: NatLanOptions = {}): Promise<NatLanWorld> {
  const lan = await createNetns('nat-lan');
  const core = await createNetns('nat-core');
  const client = await createNetns('nat-client');
  const server = await createNetns('nat-server');
  await ip(lan, 'link', 'add', 'br0', 'type', 'bridge');
  await ip(lan, 'link', 'set', 'br0', 'up');
  await ip(lan, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client);
  await ip(lan, 'link', 'set', 'c0', 'master', 'br0', 'up');
  await ip(client, 'link', 'set', 'eth0', 'up');
  await enableForwarding(core);
  const routerA = await homeRouter(lan, 'a0', core, 'wa', [NAT_LAN.routerA, NAT_LAN.wanA, '203.0.113.1']);
  const routerB = await homeRouter(lan, 'b0', core, 'wb', [NAT_LAN.routerB, NAT_LAN.wanB, '203.0.113.5']);
  let dhcp: NatLanWorld['dhcp'];
  if (options.dhcp) {
    await ip(lan, 'address', 'add', `${DHCP_SERVER}/24`, 'dev', 'br0');
    const dir = await tempDir('nat-lan-dhcp');
    dhcp = { dir, dnsmasq: await startBridgeDhcp(lan, dir, NAT_LAN.routerA) };
  } else {
    await ip(client, 'address', 'add', `${NAT_LAN.client}/24`, 'dev', 'eth0');
    await ip(client, 'route', 'add', 'default', 'via', NAT_LAN.routerA, 'dev', 'eth0');
  }
  await wire(server, 'eth0', `${NAT_LAN.server}/24`, core, 'ws', `${NAT_LAN.echo}/24`, NAT_LAN.echo);
  await forwardAndMasquerade(server);

  const serverNode = await createTincNode(tincd, {
    name: 'server',
    ns: server,
    vpnAddress: ADDRESSES.serverVpn,
    address: NAT_LAN.server,
    subnets: [`${ADDRESSES.serverVpn}/32`, '0.0.0.0/0'],
  });
  const clientNode = await createTincNode(tincd, {
    name: 'client',
    ns: client,
    vpnAddress: ADDRESSES.clientVpn,
    connectTo: ['server'],
    conf: options.clientConf,
  });
  await shareHostFiles([serverNode, clientNode]);
  return { ns: { client, lan, routerA, routerB, core, server }, client: clientNode, server: serverNode, dhcp };
}

async function startBridgeDhcp(lan: string, dir: string, router: string): Promise<Running> {
  const dnsmasq = startDhcpServer(lan, { iface: 'br0', subnet: '192.168.1', router, dir });
  await dhcpServerListening(lan, dnsmasq);
  return dnsmasq;
}

/** The bridge's DHCP server names `router` from now on (restarted with its leases kept: addresses stay). */
export async function announceRouter(world: NatLanWorld, router: string): Promise<void> {
  const dhcp = world.dhcp;
  if (!dhcp) throw new Error('announceRouter: the world has no DHCP server');
  dhcp.dnsmasq.child.kill('SIGTERM');
  await dhcp.dnsmasq.exited;
  dhcp.dnsmasq = await startBridgeDhcp(world.ns.lan, dhcp.dir, router);
}

/** Starts the core's UDP echo. */
export function startCoreEcho(world: NatLanWorld): Promise<NetnsProcess> {
  return startUdpEcho(world.ns.core, NAT_LAN.echo, ECHO_PORT);
}

/** The source address the core's echo saw for a datagram from the client, or 'no answer'. */
export function coreSource(world: NatLanWorld): Promise<string> {
  return udpProbe(world.ns.client, NAT_LAN.echo, ECHO_PORT).catch(() => 'no answer');
}
