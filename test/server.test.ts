// serve/unserve in a namespace of their own: a client on the VPN reaches the "internet" masqueraded as the server's
// uplink address (the internet host has no route back to the VPN); a second serve changes nothing; unserve leaves
// the ruleset (a table of the user's included) and the forwarding settings exactly as they were; a failed serve
// leaves nothing behind; hostile input is refused with clear errors. Oracles: nft, /proc/sys read by cat, packets.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, RefusedError, server } from '../src/index.js';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { start } from './support/exec.js';
import { netnsExec } from './support/netns.js';
import { stateFiles, stateKey } from './support/state.js';
import { startUdpEcho, udpProbe } from './support/tinc.js';
import { createServerWorld, nft, procSys, ruleset, WORLD, type ServerWorld } from './support/server-world.js';

const FORWARD4 = 'net/ipv4/ip_forward';
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
    expect(result.forwarding).toEqual({ [FORWARD4]: '0', [FORWARD6]: '0' });
    expect(await settings(srv)).toEqual(['1', '1']);
    expect(await nft(srv, 'list', 'table', 'inet', 'redirect_gateway')).toBe(`table inet redirect_gateway {
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
    expect(again.forwarding).toEqual({});
    expect(await ruleset(srv)).toBe(served);

    const status = await server.status({ netns: srv });
    expect(status.served.map((s) => s.iface)).toEqual(['vpn0']);
    expect(status.masquerade).toEqual(result.rules);
    expect(status.missing).toEqual([]);
    expect(status.restoreOnUnserve).toEqual({ [FORWARD4]: '0', [FORWARD6]: '0' });

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
    expect(result.forwarding).toEqual({});
    expect(await settings(srv)).toEqual(['1', '0']); // IPv6 not masqueraded: its forwarding untouched
    await server.unserve('vpn0', { netns: srv });
    expect(await settings(srv)).toEqual(['1', '0']);
    expect(await ruleset(srv)).not.toContain('redirect_gateway');
  });

  it('a failed serve leaves nothing behind', async () => {
    const srv = world.server;
    // Our table taken by another process (an owner table): the kernel refuses our batch (EPERM).
    const holder = start('ip', ['netns', 'exec', srv, 'nft', '-i'], { stdin: 'pipe', timeoutMs: 60_000 });
    defer(() => holder.child.kill('SIGKILL'));
    holder.child.stdin!.write('add table inet redirect_gateway { flags owner; }\n');
    const deadline = Date.now() + 20_000;
    while (!(await ruleset(srv)).includes('redirect_gateway') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const before = await ruleset(srv);
    const failure = await server.serve('vpn0', { netns: srv }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'NetlinkError', code: 'EPERM' });
    expect(await ruleset(srv)).toBe(before);
    expect(await settings(srv)).toEqual(['0', '0']);
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
    expect(down.stdout).toContain('restored net/ipv4/ip_forward = 0');
    expect(await ruleset(srv)).toBe(before);
  });
});
