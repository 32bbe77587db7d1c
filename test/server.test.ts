// serve/unserve in a namespace of their own: a client on the VPN reaches the "internet" masqueraded as the server's
// uplink address (the internet host has no route back to the VPN); a second serve changes nothing; unserve leaves
// the ruleset (a table of the user's included) and every net.* setting exactly as they were (a hardened host, an
// interface that forwarded before, SLAAC); a table of our name that is not ours is never touched; a failed serve
// leaves nothing behind; hostile input is refused with clear errors. Oracles: nft, sysctl -a and /proc/sys read by
// cat, ip -6 route, packets.
import { rm } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, RefusedError, server } from '../src/index.js';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { start } from './support/exec.js';
import { netnsExec } from './support/netns.js';
import { ipBatch } from './support/ip.js';
import { STATE_DIR, stateFiles, stateKey } from './support/state.js';
import { startUdpEcho, udpProbe } from './support/tinc.js';
import {
  advertiseDefaultRoute,
  createServerWorld,
  ipv6Defaults,
  loadNat,
  netSettings,
  nft,
  procSys,
  ruleset,
  WORLD,
  writeProcSys,
  type ServerWorld,
} from './support/server-world.js';

const FORWARD4 = 'net/ipv4/ip_forward';
const COMMENT = 'managed by redirect-gateway serve';
const FORWARD6 = 'net/ipv6/conf/all/forwarding';
const PORT = 7777;

let world: ServerWorld;
beforeEach(async () => {
  world = await createServerWorld();
});

/** The state files left in the namespace's name, but the lock (a lock file is never removed: lock.ts). */
async function serveFiles(ns: string): Promise<string[]> {
  return (await stateFiles(await stateKey(ns))).filter((name) => !name.endsWith('_.lock'));
}

async function settings(ns: string): Promise<string[]> {
  return [await procSys(ns, FORWARD4), await procSys(ns, FORWARD6)];
}

describe('server.serve / unserve', () => {
  it('masquerades the VPN out of the uplink, idempotently, and unserve restores everything exactly', async () => {
    const { client, server: srv, inet } = world;
    await nft(srv, 'add table ip user_filter');
    await nft(srv, 'add chain ip user_filter input { type filter hook input priority 0; }');
    await nft(srv, 'add rule ip user_filter input udp dport 9 drop');
    const before = await ruleset(srv);
    expect(await settings(srv)).toEqual(['0', '0']);
    await startUdpEcho(inet, WORLD.internetHost, PORT); // stopped by its own defer
    await expect(udpProbe(client, WORLD.internetHost, PORT)).rejects.toThrow(); // no forwarding, no way home

    const result = await server.serve('vpn0', { netns: srv });
    expect(result.rules).toEqual([
      { family: 4, source: '172.16.0.0/16', oif: 'up0' },
      { family: 6, source: 'fd00:16::/64', oif: 'up0' },
    ]);
    expect(result.uplinks).toEqual({
      4: { dev: 'up0', how: 'route to 192.0.2.1' },
      6: { dev: 'up0', how: 'route to 2001:db8::1' },
    });
    expect(result.settings).toEqual([
      { name: FORWARD4, from: '0', to: '1' },
      { name: 'net/ipv6/conf/up0/accept_ra', from: '1', to: '2' }, // the uplink keeps taking advertisements
      { name: FORWARD6, from: '0', to: '1' },
    ]);
    expect(await settings(srv)).toEqual(['1', '1']);
    expect(await nft(srv, 'list', 'table', 'inet', 'redirect_gateway')).toBe(`table inet redirect_gateway {
\tcomment "managed by redirect-gateway serve"
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tip saddr 172.16.0.0/16 oifname "up0" masquerade
\t\tip6 saddr fd00:16::/64 oifname "up0" masquerade
\t}
}
`);
    expect(await udpProbe(client, WORLD.internetHost, PORT)).toBe(WORLD.serverUplink);

    const served = await ruleset(srv);
    const again = await server.serve('vpn0', { netns: srv });
    expect(again.tableChanged).toBe(false);
    expect(again.settings).toEqual([]);
    expect(await ruleset(srv)).toBe(served);

    const status = await server.status({ netns: srv });
    expect(status.served.map((s) => s.iface)).toEqual(['vpn0']);
    expect(status.table).toBe('ours');
    expect(status.masquerade).toEqual(result.rules);
    expect(status.missing).toEqual([]);
    expect(status.restoreOnUnserve).toMatchObject({ [FORWARD4]: '0', [FORWARD6]: '0' });

    const undone = await server.unserve('vpn0', { netns: srv });
    expect(undone.tableChanged).toBe(true);
    expect(await ruleset(srv)).toBe(before);
    expect(await settings(srv)).toEqual(['0', '0']);
    expect(await serveFiles(srv)).toEqual([]);
    expect((await server.unserve('vpn0', { netns: srv })).tableChanged).toBe(false);
  });

  it('keeps forwarding that was on, and takes given subnets and uplink', async () => {
    const srv = world.server;
    await netnsExec(srv, 'tee', [`/proc/sys/${FORWARD4}`], { input: '1\n' });
    const result = await server.serve('vpn0', { netns: srv, subnets: ['172.16.1.0/24'], uplink: 'up0' });
    expect(result.rules).toEqual([{ family: 4, source: '172.16.1.0/24', oif: 'up0' }]);
    expect(result.uplinks).toEqual({ 4: { dev: 'up0', how: 'given' } });
    expect(result.settings).toEqual([]);
    expect(await settings(srv)).toEqual(['1', '0']); // IPv6 not masqueraded: its forwarding untouched
    await server.unserve('vpn0', { netns: srv });
    expect(await settings(srv)).toEqual(['1', '0']);
    expect(await ruleset(srv)).not.toContain('redirect_gateway');
  });

  it('a failed serve leaves nothing behind, every net.* setting included', async () => {
    const srv = world.server;
    await writeProcSys(srv, 'net/ipv4/conf/*/accept_redirects', '0'); // which turning ip_forward off sets to 1
    await loadNat(srv);
    const settingsBefore = await netSettings(srv);
    // A table with our comment held by another process (an owner table): the kernel refuses our batch (EPERM).
    const holder = start('ip', ['netns', 'exec', srv, 'nft', '-i'], { stdin: 'pipe', timeoutMs: 60_000 });
    defer(() => holder.child.kill('SIGKILL'));
    holder.child.stdin!.write(`add table inet redirect_gateway { flags owner; comment "${COMMENT}"; }\n`);
    const deadline = Date.now() + 20_000;
    while (!(await ruleset(srv)).includes('redirect_gateway') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const before = await ruleset(srv);
    const failure = await server.serve('vpn0', { netns: srv }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'NetlinkError', code: 'EPERM' });
    expect(await ruleset(srv)).toBe(before);
    expect(await netSettings(srv)).toEqual(settingsBefore);
    expect(await serveFiles(srv)).toEqual([]);
  });

  it('refuses hostile input with clear errors, changing nothing', async () => {
    const srv = world.server;
    const before = await ruleset(srv);
    const invalid: [string, Parameters<typeof server.serve>[1]][] = [
      ['vpn0/../x', {}],
      ['vpn0', { subnets: ['172.16.1.1/16'] }],
      ['vpn0', { subnets: ['300.0.0.0/8'] }],
      ['vpn0', { subnets: ['0.0.0.0/0'] }],
      ['vpn0', { subnets: ['0.0.0.0/1', '172.16.0.0/16', '128.0.0.0/1'] }],
      ['vpn0', { subnets: ['::/1', '8000::/1'] }],
      ['vpn0', { subnets: ['224.0.0.0/4'] }],
      ['vpn0', { subnets: ['239.1.0.0/16'] }],
      ['vpn0', { subnets: ['127.0.0.0/8'] }],
      ['vpn0', { subnets: ['169.254.0.0/16'] }],
      ['vpn0', { subnets: ['255.255.255.255/32'] }],
      ['vpn0', { subnets: ['0.0.0.0'] }],
      ['vpn0', { subnets: ['ff00::/8'] }],
      ['vpn0', { subnets: ['::1/128'] }],
      ['vpn0', { subnets: ['fe80::/10'] }],
      ['vpn0', { subnets: ['::/128'] }],
      ['vpn0', { subnets: [] }],
      ['vpn0', { uplink: 'up0 ; rm -rf /' }],
      ['vpn0', { uplink: 'vpn0' }],
      ['vpn0', { netns: '../../etc' }],
    ];
    for (const [iface, options] of invalid) {
      await expect(server.serve(iface, { netns: srv, ...options })).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(server.serve('nosuch0', { netns: srv })).rejects.toThrow(/no such interface: nosuch0/);
    await expect(server.serve('vpn0', { netns: srv, uplink: 'nosuch1' })).rejects.toBeInstanceOf(RefusedError);
    await expect(server.serve('up0', { netns: srv, subnets: ['10.9.0.0/16'] })).rejects.toThrow(
      /leaves by the VPN interface up0/,
    );
    expect(await ruleset(srv)).toBe(before);
    expect(await settings(srv)).toEqual(['0', '0']);

    const usage = await cli(['serve', 'vpn0', '--netns', srv, '--subnet', 'nonsense']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^redirect-gateway: serve: invalid subnet: "nonsense"/);
    const halves = await cli(['serve', 'vpn0', '--netns', srv, '--subnet', '0.0.0.0/1', '--subnet', '128.0.0.0/1']);
    expect(halves.code).toBe(2);
    expect(halves.stderr).toMatch(
      /^redirect-gateway: serve: invalid subnets: 0.0.0.0\/1, 128.0.0.0\/1 together cover every IPv4 address \(usage: [^\n]*\n$/,
    );
    const multicast = await cli(['serve', 'vpn0', '--netns', srv, '--subnet', '224.0.0.0/4']);
    expect(multicast.code).toBe(2);
    expect(multicast.stderr).toMatch(
      /^redirect-gateway: serve: invalid subnet: 224.0.0.0\/4 is multicast, never a client's source address \(usage: [^\n]*\n$/,
    );
    expect(await ruleset(srv)).toBe(before);
  });

  it('the CLI serves and unserves', async () => {
    const srv = world.server;
    const before = await ruleset(srv);
    const up = await cli(['serve', 'vpn0', '--netns', srv]);
    expect(up.stderr).toBe('');
    expect(up.stdout).toContain('set net/ipv4/ip_forward = 1 (was 0)');
    expect(up.stdout).toContain('ip saddr 172.16.0.0/16 oifname "up0" masquerade');
    expect((await cli(['serve', 'vpn0', '--netns', srv])).stdout).toContain('vpn0: nothing changed');
    const down = await cli(['unserve', 'vpn0', '--netns', srv]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('restored net/ipv4/ip_forward = 0 (was 1)');
    expect(await ruleset(srv)).toBe(before);
  });
});

describe('serve / unserve on hosts configured the way real ones are', () => {
  it('a hardened host with another interface forwarding: every net.* setting after unserve is as before serve', async () => {
    const srv = world.server;
    // eth1 forwards (IPv4 and IPv6) while all/forwarding is 0; redirects off everywhere.
    await ipBatch(srv, ['link add eth1 type veth peer name eth1p', 'link set eth1 up', 'link set eth1p up']);
    await writeProcSys(srv, 'net/ipv4/conf/*/accept_redirects', '0');
    await writeProcSys(srv, 'net/ipv4/conf/*/send_redirects', '0');
    await writeProcSys(srv, 'net/ipv6/conf/*/accept_redirects', '0');
    await writeProcSys(srv, 'net/ipv4/conf/eth1/forwarding', '1');
    await writeProcSys(srv, 'net/ipv6/conf/eth1/forwarding', '1');
    await loadNat(srv);
    const before = await netSettings(srv);
    expect(before['net.ipv4.conf.all.accept_redirects']).toBe('0');
    expect(before['net.ipv6.conf.eth1.forwarding']).toBe('1');

    await server.serve('vpn0', { netns: srv });
    expect(await settings(srv)).toEqual(['1', '1']);
    const undone = await server.unserve('vpn0', { netns: srv });
    expect(undone.notes).toEqual([]);
    expect(await netSettings(srv)).toEqual(before);
  });

  it('keeps the IPv6 default route learned from router advertisements, and accept_ra as it was', async () => {
    const srv = world.server;
    await advertiseDefaultRoute(world);
    await loadNat(srv);
    const before = await netSettings(srv);
    const result = await server.serve('vpn0', { netns: srv });
    expect(result.uplinks[6]).toEqual({ dev: 'up0', how: 'route to 2001:db8::1' });
    expect(result.settings).toEqual([
      { name: FORWARD4, from: '0', to: '1' },
      { name: 'net/ipv6/conf/up0/accept_ra', from: '1', to: '2' },
      { name: FORWARD6, from: '0', to: '1' },
    ]);
    expect(await ipv6Defaults(srv)).toMatchObject([{ dev: 'up0', protocol: 'ra' }]);
    // Only the uplink takes advertisements while forwarding: never the VPN, whose clients the server routes.
    expect(await procSys(srv, 'net/ipv6/conf/vpn0/accept_ra')).toBe('1');

    await server.unserve('vpn0', { netns: srv });
    expect(await ipv6Defaults(srv)).toMatchObject([{ dev: 'up0', protocol: 'ra' }]);
    expect(await netSettings(srv)).toEqual(before);
  });

  it('refuses where forwarding would drop an advertised default route it cannot keep (accept_ra 0)', async () => {
    const srv = world.server;
    await advertiseDefaultRoute(world);
    await writeProcSys(srv, 'net/ipv6/conf/up0/accept_ra', '0');
    const before = await netSettings(srv);
    const failure = await server.serve('vpn0', { netns: srv }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toBe(
      'IPv6 forwarding would drop the default route up0 learned from router advertisements ' +
        '(net.ipv6.conf.up0.accept_ra is 0): set it to 2, or give the server a static IPv6 default route, ' +
        'then serve again',
    );
    expect(await ipv6Defaults(srv)).toMatchObject([{ dev: 'up0', protocol: 'ra' }]);
    expect(await netSettings(srv)).toEqual(before);
    expect(await serveFiles(srv)).toEqual([]);
  });

  it('never changes or deletes a table of our name that is not ours', async () => {
    const srv = world.server;
    await nft(srv, 'add table inet redirect_gateway');
    await nft(srv, 'add chain inet redirect_gateway input { type filter hook input priority 0; }');
    await nft(srv, 'add rule inet redirect_gateway input tcp dport 22 accept');
    const before = await ruleset(srv);
    const refusal = await cli(['serve', 'vpn0', '--netns', srv]);
    expect(refusal.code).toBe(1);
    expect(refusal.stderr).toBe(
      'redirect-gateway: serve: table inet redirect_gateway exists and is not ours (no comment ' +
        `"${COMMENT}"): it is left alone; delete it (nft delete table inet redirect_gateway) or rename yours, ` +
        'then serve again\n',
    );
    expect(await ruleset(srv)).toBe(before);
    expect(await settings(srv)).toEqual(['0', '0']);
    const undone = await server.unserve('vpn0', { netns: srv });
    expect(undone.tableChanged).toBe(false);
    expect(await ruleset(srv)).toBe(before);
    expect((await server.status({ netns: srv })).table).toBe('foreign');

    // Ours replaced by someone's while served: unserve leaves theirs, says so, and still restores forwarding.
    await nft(srv, 'delete table inet redirect_gateway');
    await server.serve('vpn0', { netns: srv });
    await nft(srv, 'delete table inet redirect_gateway');
    await nft(srv, 'add table inet redirect_gateway { comment "mine"; }');
    const theirs = await ruleset(srv);
    const last = await server.unserve('vpn0', { netns: srv });
    expect(last.notes).toEqual(['table inet redirect_gateway is not ours: left as it is']);
    expect(await ruleset(srv)).toBe(theirs);
    expect(await settings(srv)).toEqual(['0', '0']);
  });

  it('a lost record: the last unserve turns forwarding off and says so; an unserve of nothing changes nothing', async () => {
    const srv = world.server;
    await server.serve('vpn0', { netns: srv });
    await rm(`${STATE_DIR}/${await stateKey(srv)}_.forwarding.json`);
    const undone = await cli(['unserve', 'vpn0', '--netns', srv]);
    expect(undone.code).toBe(0);
    expect(undone.stderr).toMatch(/^redirect-gateway: unserve: the record of the settings before serve is lost: /);
    expect(await settings(srv)).toEqual(['0', '0']);
    expect(await ruleset(srv)).not.toContain('redirect_gateway');

    // A router that forwards and never served: unserve has nothing to undo, and leaves forwarding on.
    await writeProcSys(srv, FORWARD4, '1');
    expect((await server.unserve('vpn0', { netns: srv })).settings).toEqual([]);
    expect(await settings(srv)).toEqual(['1', '0']);
  });
});
