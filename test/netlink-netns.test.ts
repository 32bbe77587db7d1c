// Namespaces: a socket opened with { netns } reads and changes only that namespace; the process never
// leaves its own; a missing namespace is ENOENT; and the package works from a script outside the repo.
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlinkError, netlink } from '../src/index.js';
import { run } from './support/exec.js';
import { ip } from './support/ip.js';
import { createLan } from './support/lan.js';
import { ipLinks } from './support/links.js';
import { createNetns, deleteNetns, netnsPath } from './support/netns.js';
import { linkedProject, REPO } from './support/package.js';
import { expectSameRoutes, fromRoute, ipRouteGet, ipRoutes, routeDiff, snapshotRoutes } from './support/routes.js';

/** The namespaces of this process's threads; a thread that ends while we look is passed over. */
function threadNamespaces(): Set<string> {
  const namespaces = new Set<string>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      namespaces.add(readlinkSync(`/proc/self/task/${tid}/ns/net`));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return namespaces;
}

describe('a socket opened in a named namespace', () => {
  it("changes only that namespace: another namespace and the runner's own are untouched", async () => {
    // Two identical LANs: the same addresses and names in both, as two VPN clients on one host would be.
    const [a, b] = [await createLan(), await createLan()];
    const [beforeA, beforeB, beforeRunner] = [
      await snapshotRoutes(a.client),
      await snapshotRoutes(b.client),
      await snapshotRoutes(null),
    ];
    expect(beforeA).toEqual(beforeB);

    const nl = await netlink.open({ netns: a.client });
    try {
      await nl.addRoute({ dst: '10.20.0.0/16', gateway: '192.168.1.1', metric: 7 });
      await nl.addRoute({ dst: '2001:db8:20::/48', gateway: 'fd00:1::1' });
      await nl.replaceRoute({ dst: '10.20.0.0/16', gateway: '192.168.1.254', metric: 7 });
      await nl.addRoute({ dst: '0.0.0.0/1', dev: 'eth0', protocol: 'redirect-gateway' });
      await nl.deleteRoute({ dst: '0.0.0.0/0' });
      await nl.deleteRoute({ dst: '::/0' });

      const afterA = await snapshotRoutes(a.client);
      const diff = routeDiff(beforeA, afterA);
      expect(diff.added.map((r) => `${r.dst} ${r.gateway ?? r.dev}`)).toEqual(
        expect.arrayContaining(['10.20.0.0/16 192.168.1.254', '2001:db8:20::/48 fd00:1::1', '0.0.0.0/1 eth0']),
      );
      expect(diff.added).toHaveLength(3);
      expect(diff.removed.map((r) => r.dst).sort()).toEqual(['0.0.0.0/0', '::/0']);
      // What the socket reads is that namespace too.
      expectSameRoutes(await nl.listRoutes({ table: 'all' }), await ipRoutes(a.client, { table: 'all' }));
      expect(await nl.listLinks()).toEqual(await ipLinks(a.client));
      expect(fromRoute(await nl.getRoute('10.20.1.1', { fibMatch: true }))).toEqual(
        await ipRouteGet(a.client, '10.20.1.1', { fibMatch: true }),
      );
    } finally {
      nl.close();
    }
    expect(await snapshotRoutes(b.client)).toEqual(beforeB);
    expect(await snapshotRoutes(null)).toEqual(beforeRunner);
    await expect(ipRouteGet(b.client, '10.20.1.1', { fibMatch: true })).resolves.toMatchObject({ dst: '0.0.0.0/0' });
  });

  it('keeps several sockets in several namespaces apart, used at the same time', async () => {
    const names = await Promise.all([1, 2, 3].map((i) => createNetns(`par${i}`)));
    const sockets = await Promise.all(names.map((netns) => netlink.open({ netns })));
    try {
      await Promise.all(
        sockets.map(async (nl, i) => {
          for (let j = 0; j < 20; j++) await nl.addRoute({ dst: `10.${i}.${j}.0/24`, dev: 'lo' });
        }),
      );
      for (const [i, ns] of names.entries()) {
        const dsts = (await ipRoutes(ns, { family: 4 })).map((r) => r.dst);
        expect(dsts).toHaveLength(20);
        expect(dsts.every((d) => d.startsWith(`10.${i}.`))).toBe(true);
        expect((await sockets[i].listRoutes({ family: 4 })).map((r) => r.dst).sort()).toEqual([...dsts].sort());
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('accepts an absolute path to a namespace file (/run/netns/NAME, /proc/PID/ns/net)', async () => {
    const ns = await createNetns('path');
    await ip(ns, 'route', 'add', '198.51.100.0/24', 'dev', 'lo');
    const byPath = await netlink.open({ netns: netnsPath(ns) });
    try {
      expect((await byPath.listRoutes({ family: 4 })).map((r) => r.dst)).toEqual(['198.51.100.0/24']);
    } finally {
      byPath.close();
    }
    // The runner's own namespace, named by a path: sees the runner's routes, not the test namespace's.
    const own = await netlink.open({ netns: `/proc/${process.pid}/ns/net` });
    try {
      expectSameRoutes(await own.listRoutes({ table: 'all' }), await ipRoutes(null, { table: 'all' }));
    } finally {
      own.close();
    }
  });

  it('never moves the process out of its own namespace (the main thread or any other)', async () => {
    const own = readlinkSync('/proc/self/ns/net');
    expect(threadNamespaces()).toEqual(new Set([own]));
    const names = await Promise.all([1, 2].map((i) => createNetns(`thr${i}`)));
    const sockets = [];
    for (let i = 0; i < 10; i++) {
      const nl = await netlink.open({ netns: names[i % 2] });
      sockets.push(nl);
      await nl.listRoutes();
      expect(readlinkSync('/proc/self/ns/net')).toBe(own);
    }
    await Promise.all(sockets.map((nl) => nl.listLinks()));
    expect(threadNamespaces()).toEqual(new Set([own]));
    for (const s of sockets) s.close();
    // And an unnamed socket opened now is still in the runner's namespace.
    const here = await netlink.open();
    try {
      expect((await here.listLinks()).map((l) => l.name)).toEqual(['lo']);
    } finally {
      here.close();
    }
  });

  it('keeps working on a namespace that was deleted after it was opened (the socket holds it)', async () => {
    const ns = await createNetns('gone');
    await ip(ns, 'route', 'add', '198.51.100.0/24', 'dev', 'lo');
    const nl = await netlink.open({ netns: ns });
    try {
      await deleteNetns(ns);
      expect((await nl.listRoutes({ family: 4 })).map((r) => r.dst)).toEqual(['198.51.100.0/24']);
      await nl.addRoute({ dst: '203.0.113.0/24', dev: 'lo' });
      expect((await nl.listRoutes({ family: 4 })).length).toBe(2);
    } finally {
      nl.close();
    }
  });
});

describe('opening a namespace that does not exist', () => {
  it('fails with ENOENT, naming the namespace', async () => {
    const error = await netlink.open({ netns: 'rg-no-such-namespace' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlinkError);
    expect(error).toMatchObject({ errno: 2, code: 'ENOENT', operation: 'open' });
    expect((error as Error).message).toContain('rg-no-such-namespace');
    const byPath = await netlink.open({ netns: '/run/netns/rg-no-such-namespace' }).catch((e: unknown) => e);
    expect(byPath).toMatchObject({ code: 'ENOENT' });
  });

  it('fails (not silently in the wrong namespace) for a file that is not a namespace', async () => {
    const error = await netlink.open({ netns: '/etc/hostname' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlinkError);
    expect((error as NetlinkError).code).toMatch(/^E/);
  });
});

describe('the package from outside the repo', () => {
  // node_modules/redirect-gateway -> the repo, as `npm link` makes it; `import('redirect-gateway')`
  // resolves to dist/index.js (package.json "exports"). One step per run, checked with ip in between.
  const script = `
    import { netlink } from 'redirect-gateway';
    const [step, netns] = process.argv.slice(2);
    const nl = await netlink.open({ netns });
    if (step === 'add') await nl.addRoute({ dst: '10.20.0.0/16', gateway: '192.168.1.1', metric: 7 });
    if (step === 'replace') await nl.replaceRoute({ dst: '10.20.0.0/16', gateway: '192.168.1.254', metric: 7, protocol: 'redirect-gateway' });
    if (step === 'delete') await nl.deleteRoute({ dst: '10.20.0.0/16', metric: 7 });
    const out = {
      resolved: import.meta.resolve('redirect-gateway'),
      routes: await nl.listRoutes({ table: 'all' }),
      get: await nl.getRoute('10.20.1.1').catch((e) => ({ error: e.code })),
      fib: await nl.getRoute('10.20.1.1', { fibMatch: true }),
      links: await nl.listLinks(),
    };
    nl.close();
    console.log(JSON.stringify(out));
  `;

  it('imports redirect-gateway (dist/index.js) and lists, gets, adds, replaces and deletes as ip shows', async () => {
    const lan = await createLan();
    const main = await linkedProject(script);
    const runnerBefore = await snapshotRoutes(null);
    for (const step of ['list', 'add', 'replace', 'delete']) {
      const { stdout } = await run(process.execPath, [main, step, lan.client], { cwd: REPO + '/..' });
      const out = JSON.parse(stdout);
      expect(out.resolved).toBe(`file://${REPO}/dist/index.js`);
      expectSameRoutes(out.routes, await ipRoutes(lan.client, { table: 'all' }));
      expect(fromRoute(out.fib)).toEqual(await ipRouteGet(lan.client, '10.20.1.1', { fibMatch: true }));
      const oracleGet = await ipRouteGet(lan.client, '10.20.1.1');
      expect(out.get).toMatchObject({ gateway: oracleGet.gateway, dev: oracleGet.dev, prefsrc: oracleGet.prefsrc });
      expect(out.links).toEqual(await ipLinks(lan.client));
      const ours = out.routes.find((r: { dst: string }) => r.dst === '10.20.0.0/16');
      if (step === 'add') expect(ours).toMatchObject({ gateway: '192.168.1.1', metric: 7, protocol: 'boot' });
      if (step === 'replace')
        expect(ours).toMatchObject({ gateway: '192.168.1.254', metric: 7, protocol: 'redirect-gateway' });
      if (step === 'list' || step === 'delete') expect(ours).toBeUndefined();
    }
    expect(await snapshotRoutes(null)).toEqual(runnerBefore);
  });
});
