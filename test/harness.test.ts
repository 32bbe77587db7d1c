// The harness itself: the runner's sandbox, and the fixtures the other tests stand on.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defer } from './support/cleanup.js';
import { run } from './support/exec.js';
import { ip, ipBatch, ipJson } from './support/ip.js';
import { createLan } from './support/lan.js';
import { ipLinks } from './support/links.js';
import { createNetns, deleteNetns, listNetns, netnsExec, netnsInode } from './support/netns.js';
import { ipRouteGet, ipRoutes } from './support/routes.js';
import { createTun } from './support/tun.js';

function mountAt(path: string): string | undefined {
  // /proc/self/mountinfo: the 5th field is the mount point, the fs type follows ' - '.
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
  const line = lines.filter((l) => l.split(' ')[4] === path).at(-1);
  return line?.split(' - ')[1]?.split(' ')[0];
}

describe('the runner sandbox', () => {
  it('runs the tests in a fresh network namespace of their own', async () => {
    expect(process.env.REDIRECT_GATEWAY_TEST_SANDBOX).toBe(readlinkSync('/proc/self/ns/net'));
    // Only lo, up: nothing of the machine's own interfaces or routes is visible.
    const links = await ipJson<{ ifname: string }[]>(null, 'link', 'show');
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect(await ipRoutes(null, { family: 4 })).toEqual([]);
    expect(await ipRoutes(null, { family: 6 })).toEqual([]);
  });

  it('runs in a private PID namespace (leaked daemons die with the runner)', () => {
    // The runner script is the first process of the namespace; vitest is one of its descendants.
    expect(readFileSync('/proc/1/cmdline', 'utf8')).toContain('test/run');
  });

  it('has private tmpfs mounts on /run/netns and /run/redirect-gateway', () => {
    expect(mountAt('/run/netns')).toBe('tmpfs');
    expect(mountAt('/run/redirect-gateway')).toBe('tmpfs');
  });
});

describe('fixtures', () => {
  let fromPreviousTest = '';

  it('createNetns makes a uniquely named namespace with lo up', async () => {
    const a = await createNetns('a');
    const b = await createNetns('a');
    expect(a).not.toBe(b);
    expect(await listNetns()).toEqual(expect.arrayContaining([a, b]));
    expect(await netnsInode(a)).not.toBe(await netnsInode(b));
    const [lo] = await ipJson<{ flags: string[] }[]>(a, 'link', 'show', 'lo');
    expect(lo.flags).toContain('UP');
    fromPreviousTest = a;
  });

  it('deletes the namespaces a test made when it finishes', async () => {
    expect(fromPreviousTest).not.toBe('');
    expect(await listNetns()).not.toContain(fromPreviousTest);
  });

  it.fails('tears down even when the test fails (this test fails on purpose)', async () => {
    fromPreviousTest = await createNetns('failing');
    throw new Error('deliberate failure');
  });

  it('... and the failed test left nothing behind', async () => {
    expect(await listNetns()).not.toContain(fromPreviousTest);
  });

  it('runs cleanups newest first, and deleteNetns kills processes left inside', async () => {
    const ns = await createNetns('pids');
    const order: string[] = [];
    onTestFinished(() => {
      expect(order).toEqual(['second', 'first']);
    });
    defer(() => order.push('first'));
    defer(() => order.push('second'));
    const sleeper = netnsExec(ns, 'sleep', ['60'], { timeoutMs: 60_000 }).catch((e: Error) => e);
    await expect.poll(async () => (await run('ip', ['netns', 'pids', ns])).stdout.trim()).not.toBe('');
    await deleteNetns(ns);
    expect(String(await sleeper)).toMatch(/SIGKILL/);
    expect(await listNetns()).not.toContain(ns);
  });

  it('createLan builds the seed scenario: client eth0 192.168.1.2/24, default via 192.168.1.1', async () => {
    const lan = await createLan({ forwarding: true });
    expect(lan).toMatchObject({
      clientDev: 'eth0',
      routerDev: 'eth0',
      clientAddress: '192.168.1.2',
      gateway: '192.168.1.1',
      prefix: '192.168.1.0/24',
      clientAddress6: 'fd00:1::2',
      gateway6: 'fd00:1::1',
      prefix6: 'fd00:1::/64',
    });
    const routes = await ipRoutes(lan.client, { family: 4 });
    expect(routes).toContainEqual({
      family: 4,
      table: 254,
      dst: '0.0.0.0/0',
      gateway: '192.168.1.1',
      dev: 'eth0',
      protocol: 3,
      scope: 0,
      type: 1,
    });
    expect(await ipRouteGet(lan.client, '203.0.113.9')).toMatchObject({
      gateway: '192.168.1.1',
      dev: 'eth0',
      prefsrc: '192.168.1.2',
    });
    expect(await ipRouteGet(lan.client, '2001:db8::9')).toMatchObject({
      gateway: 'fd00:1::1',
      dev: 'eth0',
      prefsrc: 'fd00:1::2',
    });
    // The router's end answers (real packets through the veth): the neighbour entry becomes reachable.
    await netnsExec(lan.client, 'ip', ['route', 'get', '192.168.1.1']);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('0'); // runner's own: untouched
    const forwarding = await netnsExec(lan.router, 'cat', ['/proc/sys/net/ipv4/ip_forward']);
    expect(forwarding.stdout.trim()).toBe('1');
  });

  it('createLan can put the LAN in existing namespaces, IPv4 only, without default routes', async () => {
    const client = await createNetns('c');
    const router = await createNetns('r');
    const lan = await createLan({
      client,
      router,
      clientDev: 'lan0',
      routerDev: 'uplink0',
      clientAddress: '10.1.2.3/16',
      routerAddress: '10.1.0.1/16',
      clientAddress6: null,
      routerAddress6: null,
      defaultRoute: false,
    });
    expect(lan).toMatchObject({ client, router, prefix: '10.1.0.0/16', gateway: '10.1.0.1' });
    expect(lan.clientAddress6).toBeUndefined();
    expect((await ipRoutes(client, { family: 4 })).map((r) => r.dst)).toEqual(['10.1.0.0/16']);
    expect((await ipLinks(router)).map((l) => l.name)).toEqual(['lo', 'uplink0']);
  });

  it('createTun makes a tun device with addresses', async () => {
    const ns = await createNetns('tun');
    await createTun(ns, { address: '10.8.0.2/24', address6: 'fd00:8::2/64' });
    const [link] = await ipJson<{ linkinfo: { info_kind: string }; flags: string[] }[]>(
      ns,
      '-d',
      'link',
      'show',
      'vpn',
    );
    expect(link.linkinfo.info_kind).toBe('tun');
    expect(link.flags).toContain('UP');
    const addrs = await ipJson<{ addr_info: { local: string }[] }[]>(ns, 'address', 'show', 'vpn');
    expect(addrs[0].addr_info.map((a) => a.local)).toEqual(expect.arrayContaining(['10.8.0.2', 'fd00:8::2']));
  });

  it('ipBatch runs many commands at once; ip rejects with its message', async () => {
    const ns = await createNetns('batch');
    await ipBatch(ns, ['route add 10.0.0.0/24 dev lo', 'route add 10.0.1.0/24 dev lo']);
    expect((await ipRoutes(ns, { family: 4 })).map((r) => r.dst).sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    await expect(ip(ns, 'route', 'add', '10.0.0.0/24', 'dev', 'lo')).rejects.toThrow(/File exists/);
    expect(existsSync(`/run/netns/${ns}`)).toBe(true);
  });
});
