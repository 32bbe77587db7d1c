// RouteSocket getSysctl/setSysctl: the namespace's own /proc/sys/net (cat inside it is the oracle), never the
// caller's; names outside net/ refused before anything is opened.
import { describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError, netlink } from '../src/index.js';
import { defer } from './support/cleanup.js';
import { createNetns } from './support/netns.js';
import { procSys } from './support/server-world.js';
import { readFile } from 'node:fs/promises';

describe('RouteSocket sysctls', () => {
  it('reads and writes the settings of the socket’s namespace only', async () => {
    const ns = await createNetns('sysctl');
    const nl = await netlink.open({ netns: ns });
    defer(() => nl.close());
    const runner = await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8');
    expect(await nl.getSysctl('net/ipv4/ip_forward')).toBe(await procSys(ns, 'net/ipv4/ip_forward'));
    await nl.setSysctl('net/ipv4/ip_forward', '1');
    await nl.setSysctl('net/ipv6/conf/lo/forwarding', '1');
    expect(await procSys(ns, 'net/ipv4/ip_forward')).toBe('1');
    expect(await procSys(ns, 'net/ipv6/conf/lo/forwarding')).toBe('1');
    expect(await nl.getSysctl('net/ipv6/conf/lo/forwarding')).toBe('1');
    expect(await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(runner);
  });

  it('refuses names outside net/ and reports what the kernel refuses', async () => {
    const ns = await createNetns('sysctl');
    const nl = await netlink.open({ netns: ns });
    defer(() => nl.close());
    for (const name of [
      'net/../kernel/hostname',
      '/proc/sys/net/ipv4/ip_forward',
      'kernel/hostname',
      'net/',
      'net//x',
      'net/ipv4/./ip_forward',
    ]) {
      await expect(nl.getSysctl(name)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(nl.setSysctl('net/ipv4/ip_forward', '1\n0')).rejects.toBeInstanceOf(InvalidInputError);
    const missing = await nl.getSysctl('net/ipv4/no_such_setting').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NetlinkError);
    expect((missing as NetlinkError).code).toBe('ENOENT');
    const refused = await nl.setSysctl('net/ipv4/ip_forward', 'x').catch((e: unknown) => e);
    expect((refused as NetlinkError).code).toBe('EINVAL');
  });
});
