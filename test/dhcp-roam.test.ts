// The DHCP roam fixture (test/support/dhcp.ts) with real dnsmasq and dhclient: a lease, a release, a move to
// another LAN, a new lease in a new subnet; and what such a roam does today to the exception route of a redirect.
import { readdir, readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { redirect } from '../src/index.js';
import { createDhcpLan, Dhclient, plugInto, uplinkState, UPLINK } from './support/dhcp.js';
import { ipJson } from './support/ip.js';
import { createNetns, netnsExec } from './support/netns.js';
import { OUR_PROTOCOL } from './support/routes.js';
import { createTun } from './support/tun.js';

const SERVER = '198.51.100.10';

async function hostResolvConf() {
  const s = await stat('/etc/resolv.conf');
  return { text: await readFile('/etc/resolv.conf', 'utf8'), ino: s.ino, mtimeMs: s.mtimeMs };
}
const dhclientLeftovers = async () => (await readdir('/etc')).filter((f) => f.startsWith('resolv.conf.dhclient'));

async function roamWorld() {
  const client = await createNetns('client');
  const lanA = await createDhcpLan('lan-a', '192.168.50');
  const lanB = await createDhcpLan('lan-b', '10.77.0');
  await plugInto(client, lanA);
  return { client, lanA, lanB, dhclient: await Dhclient.create(client) };
}

const ourRoutes = (ns: string) =>
  ipJson<{ dst: string; gateway?: string; dev: string }[]>(ns, 'route', 'show', 'proto', String(OUR_PROTOCOL));

describe('a DHCP roam (dnsmasq, dhclient)', () => {
  it('leases an address and a gateway, releases them, and leases anew in another LAN', async () => {
    const host = await hostResolvConf();
    const { client, lanA, lanB, dhclient } = await roamWorld();
    const first = await dhclient.obtain();
    expect(first.defaults).toEqual([`via 192.168.50.1 dev ${UPLINK}`]);
    expect(first.addresses).toEqual([expect.stringMatching(/^192\.168\.50\.(1[0-4]\d|150)\/24$/)]);

    await dhclient.release();
    expect(await uplinkState(client)).toEqual({ addresses: [], defaults: [] });

    await plugInto(client, lanB, lanA);
    const second = await dhclient.obtain();
    expect(second.defaults).toEqual([`via 10.77.0.1 dev ${UPLINK}`]);
    expect(second.addresses).toEqual([expect.stringMatching(/^10\.77\.0\.(1[0-4]\d|150)\/24$/)]);

    // dhclient-script wrote nothing of the host's: its resolv.conf is the same file, unchanged, with no temp file
    // beside it; the namespace's own (bind-mounted by ip netns exec) is as the fixture wrote it.
    expect(await hostResolvConf()).toEqual(host);
    expect(await dhclientLeftovers()).toEqual([]);
    expect((await netnsExec(client, 'cat', ['/etc/resolv.conf'])).stdout).toBe(`# ${client}'s own\n`);
  });

  // Today's defect, asserted as it is (a later round, with the follower, flips these expectations): the release
  // flushes the address, the kernel takes our exception route with it, and nothing puts it back after the new
  // lease, so the server's packets go into the tunnel.
  it('today: the exception route of `up` is gone after the release and not back after the new lease', async () => {
    const { client, lanA, lanB, dhclient } = await roamWorld();
    await dhclient.obtain();
    await createTun(client, { name: 'vpn', address: '10.8.0.2/24' });
    await redirect.up('vpn', SERVER, { netns: client });
    const exception = (await ourRoutes(client)).filter((r) => r.dst === SERVER);
    expect(exception).toEqual([expect.objectContaining({ gateway: '192.168.50.1', dev: UPLINK })]);

    await dhclient.release();
    expect((await ourRoutes(client)).filter((r) => r.dst === SERVER)).toEqual([]);

    await plugInto(client, lanB, lanA);
    expect((await dhclient.obtain()).defaults).toEqual([`via 10.77.0.1 dev ${UPLINK}`]);
    expect((await ourRoutes(client)).filter((r) => r.dst === SERVER)).toEqual([]);
    const [path] = await ipJson<{ dev: string }[]>(client, 'route', 'get', SERVER);
    expect(path.dev).toBe('vpn');
  });
});
