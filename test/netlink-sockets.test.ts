// Socket diagnostics (listSockets, destroySockets) against the kernel, with ss inside the namespace as the oracle:
// connections between two namespaces held by small programs, listed, filtered and destroyed.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/index.js';
import type { RouteSocket, SocketFilter, SocketInfo } from '../src/netlink/index.js';
import { ip } from './support/ip.js';
import { createLan, type Lan } from './support/lan.js';
import { ssAll, ssSockets, sortSockets, startHolder, type Holder } from './support/sockets.js';
import { waitUntil } from './support/tinc.js';
import { openSocket } from './support/tun-client.js';

const ECONNABORTED = 103;
const NOBODY = 65534;

let lan: Lan;
let nl: RouteSocket;
let held: Record<string, Holder>;

beforeEach(async () => {
  lan = await createLan();
  await ip(lan.client, 'addr', 'add', '192.168.1.3/24', 'dev', 'eth0');
  const server = (addr: string, port: number) => startHolder(lan.router, ['tcp-server', addr, String(port)]);
  await Promise.all([server('192.168.1.1', 7000), server('192.168.1.1', 7001), server('fd00:1::1', 7000)]);
  const client = (...args: string[]) => startHolder(lan.client, args);
  held = {
    fromPrimary: await client('tcp-client', '192.168.1.1', '7000'),
    fromSecondary: await client('tcp-client', '192.168.1.1', '7000', '192.168.1.3'),
    nobodys: await startHolder(lan.client, ['tcp-client', '192.168.1.1', '7001'], NOBODY),
    ipv6: await client('tcp-client', 'fd00:1::1', '7000'),
    mapped: await client('tcp-client', '::ffff:192.168.1.1', '7001'),
    udpOnSecondary: await client('udp', '192.168.1.3', '5000'),
    udpConnected: await client('udp', '192.168.1.2', '5001', '192.168.1.1', '5002'),
    listener: await client('tcp-server', '0.0.0.0', '8000'),
    udpAny6: await client('udp', '::', '5003'),
  };
  nl = await openSocket(lan.client);
});

const tcpOf = (sockets: SocketInfo[], holder: Holder) =>
  sockets.filter((s) => s.protocol === 'tcp' && s.local.port === holder.port);
const without = (all: SocketInfo[], gone: SocketInfo[]) =>
  all.filter((s) => !gone.some((g) => g.inode === s.inode && g.protocol === s.protocol));

describe('listSockets', () => {
  it('lists every TCP and UDP socket of the namespace exactly as ss does', async () => {
    const ours = await nl.listSockets();
    expect(sortSockets(ours)).toEqual(sortSockets(await ssAll(lan.client)));
    expect(ours.length).toBe(9);
    const nobodys = ours.find((s) => s.local.port === held.nobodys.port && s.protocol === 'tcp');
    expect(nobodys).toMatchObject({ uid: NOBODY, state: 'ESTAB', remote: { address: '192.168.1.1', port: 7001 } });
    expect(ours.find((s) => s.local.port === held.mapped.port)).toMatchObject({
      family: 6,
      local: { address: '::ffff:192.168.1.2' },
      remote: { address: '::ffff:192.168.1.1', port: 7001 },
    });
  });

  it('filters as ss filters: family, protocol, local and remote address, remote port', async () => {
    const cases: [SocketFilter, 4 | 6, 'tcp' | 'udp', string[]][] = [
      [{ family: 4, protocol: 'tcp', local: '192.168.1.3' }, 4, 'tcp', ['src', '192.168.1.3']],
      [{ family: 4, protocol: 'udp', local: '192.168.1.3' }, 4, 'udp', ['src', '192.168.1.3']],
      [{ family: 4, protocol: 'tcp', remote: '192.168.1.1', remotePort: 7000 }, 4, 'tcp', ['dst', '192.168.1.1:7000']],
      [{ family: 4, protocol: 'tcp', remotePort: 7001 }, 4, 'tcp', ['dport', '=', ':7001']],
      [{ family: 6, protocol: 'tcp', remote: 'fd00:1::1' }, 6, 'tcp', ['dst', '[fd00:1::1]']],
      [{ family: 6, protocol: 'udp' }, 6, 'udp', []],
    ];
    for (const [filter, family, protocol, expression] of cases) {
      const want = await ssSockets(lan.client, family, protocol, ...expression);
      expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(sortSockets(await nl.listSockets(filter)), JSON.stringify(filter)).toEqual(sortSockets(want));
    }
    // An IPv4-mapped address is the IPv4 address it stands for, in both directions.
    const mapped = await nl.listSockets({ family: 6, remote: '192.168.1.1' });
    expect(mapped.map((s) => s.local.port)).toEqual([held.mapped.port]);
    expect(await nl.listSockets({ family: 6, local: '::ffff:192.168.1.2' })).toEqual(mapped);
  });
});

describe('destroySockets', () => {
  it('destroys the one connection named: its holder sees ECONNABORTED, ss no longer shows it, nothing else changes', async () => {
    const before = await ssAll(lan.client);
    const destroyed = await nl.destroySockets({ family: 4, protocol: 'tcp', local: '192.168.1.2', remotePort: 7001 });
    expect(destroyed).toEqual(tcpOf(before, held.nobodys));
    expect(destroyed).toHaveLength(1);
    await waitUntil(
      () => held.nobodys.closed() !== undefined,
      10_000,
      () => held.nobodys.running.output,
    );
    expect(held.nobodys.closed()).toBe(`closed ${ECONNABORTED}`);
    expect(sortSockets(await ssAll(lan.client))).toEqual(sortSockets(without(before, destroyed)));
    for (const [name, holder] of Object.entries(held)) {
      if (name !== 'nobodys') expect(holder.closed(), name).toBeUndefined();
    }
  });

  it('after a roam, destroys exactly the sockets whose local address is gone (localNotIn)', async () => {
    await ip(lan.client, 'addr', 'del', '192.168.1.3/24', 'dev', 'eth0');
    const before = await ssAll(lan.client);
    const addresses = (await nl.listAddresses()).map((a) => a.local);
    expect(addresses).not.toContain('192.168.1.3');
    const gone = before.filter((s) => s.local.address === '192.168.1.3');
    expect(gone.map((s) => s.protocol).sort()).toEqual(['tcp', 'udp']);
    const destroyed = await nl.destroySockets({ localNotIn: addresses });
    expect(sortSockets(destroyed)).toEqual(sortSockets(gone));
    for (const holder of [held.fromSecondary, held.udpOnSecondary]) {
      await waitUntil(
        () => holder.closed() !== undefined,
        10_000,
        () => holder.running.output,
      );
      expect(holder.closed()).toBe(`closed ${ECONNABORTED}`);
    }
    expect(sortSockets(await ssAll(lan.client))).toEqual(sortSockets(without(before, destroyed)));
    // The wildcard listeners and the sockets on addresses that remain are untouched; a second call finds nothing.
    expect(await nl.destroySockets({ localNotIn: addresses })).toEqual([]);
    for (const [name, holder] of Object.entries(held)) {
      if (holder !== held.fromSecondary && holder !== held.udpOnSecondary)
        expect(holder.closed(), name).toBeUndefined();
    }
  });

  it("with inodes, destroys only those sockets (a process's own: a VPN daemon's after a roam)", async () => {
    await ip(lan.client, 'addr', 'del', '192.168.1.3/24', 'dev', 'eth0');
    const before = await ssAll(lan.client);
    const addresses = (await nl.listAddresses()).map((a) => a.local);
    const [daemons] = tcpOf(before, held.fromSecondary);
    const destroyed = await nl.destroySockets({ localNotIn: addresses, inodes: [daemons.inode] });
    expect(destroyed).toEqual([daemons]);
    await waitUntil(
      () => held.fromSecondary.closed() !== undefined,
      10_000,
      () => held.fromSecondary.running.output,
    );
    expect(sortSockets(await ssAll(lan.client))).toEqual(sortSockets(without(before, destroyed)));
    expect(held.udpOnSecondary.closed()).toBeUndefined(); // on the address gone too, but not among the inodes
    expect(await nl.listSockets({ inodes: [daemons.inode] })).toEqual([]);
  });

  it('refuses a filter it cannot read, or one that names no sockets, before anything is sent', async () => {
    const before = await ssAll(lan.client);
    const bad: unknown[] = [
      { family: 5 },
      { protocol: 'sctp' },
      { local: '192.168.1.300' },
      { remote: 'host' },
      { remotePort: 70000 },
      { remotePort: -1 },
      { localNotIn: '192.168.1.2' },
      { localNotIn: ['192.168.1.2', 'nope'] },
      { localnotin: ['192.168.1.2'] },
      { inodes: 5 },
      { inodes: [-1] },
      null,
    ];
    for (const filter of bad) {
      await expect(nl.listSockets(filter as SocketFilter), JSON.stringify(filter)).rejects.toThrow(InvalidInputError);
      await expect(nl.destroySockets(filter as SocketFilter), JSON.stringify(filter)).rejects.toThrow(
        InvalidInputError,
      );
    }
    for (const filter of [{}, { family: 4 }, { protocol: 'tcp' }] as SocketFilter[]) {
      await expect(nl.destroySockets(filter), JSON.stringify(filter)).rejects.toThrow(/must name the sockets/);
    }
    expect(sortSockets(await ssAll(lan.client))).toEqual(sortSockets(before));
  });
});
