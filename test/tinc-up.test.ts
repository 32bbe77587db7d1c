// `hook tinc-up` and `hook tinc-down`, tinc's own scripts without `ip`: run as tincd runs them (INTERFACE in the
// environment, inside the namespace), checked against the kernel with `ip -j addr` and `ip -j link`.
import { beforeEach, describe, expect, it } from 'vitest';
import { CLI, cli } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { createSeed, pathTo, routeText, SERVER, type Seed } from './support/seed.js';

interface IpAddr {
  addr_info: { family: string; local: string; prefixlen: number; nodad?: boolean; tentative?: boolean }[];
}
interface IpLink {
  flags: string[];
}

let seed: Seed;

beforeEach(async () => {
  // A tun device as tincd leaves it before tinc-up: no address, down.
  seed = await createSeed({ tun: { address: undefined, up: false } });
});

function hook(event: string, args: string[], env: Record<string, string> = { INTERFACE: seed.vpn }) {
  return runStatus('ip', ['netns', 'exec', seed.ns, process.execPath, CLI, 'hook', event, ...args], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
  });
}

/** The interface's addresses as `family local/prefixlen [nodad]`, in the kernel's order. */
async function addresses(dev = seed.vpn): Promise<string[]> {
  const [link] = await ipJson<IpAddr[]>(seed.ns, 'addr', 'show', 'dev', dev);
  return link.addr_info
    .filter((a) => !a.local.startsWith('fe80:'))
    .map((a) => `${a.family} ${a.local}/${a.prefixlen}${a.nodad ? ' nodad' : ''}${a.tentative ? ' tentative' : ''}`);
}

async function isUp(dev = seed.vpn): Promise<boolean> {
  const [link] = await ipJson<IpLink[]>(seed.ns, 'link', 'show', 'dev', dev);
  return link.flags.includes('UP');
}

const ADDRESS_ARGS = ['--address', '172.16.2.2/16', '--address', 'fd00:16::2/64'];

describe('hook tinc-up', () => {
  it('puts the addresses on $INTERFACE (IPv6 nodad) and sets it up; a second run changes nothing', async () => {
    expect(await isUp()).toBe(false);
    const first = await hook('tinc-up', ADDRESS_ARGS);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      [
        'tinc-up vpn: added address 172.16.2.2/16 dev vpn',
        'tinc-up vpn: added address fd00:16::2/64 dev vpn',
        'tinc-up vpn: set vpn up',
        '',
      ].join('\n'),
    );
    expect(await addresses()).toEqual(['inet 172.16.2.2/16', 'inet6 fd00:16::2/64 nodad']);
    expect(await isUp()).toBe(true);
    expect(await ip(seed.ns, '-4', 'route', 'show', 'dev', 'vpn')).toMatch(/^172\.16\.0\.0\/16 proto kernel/);

    const table = await routeText(seed.ns);
    const second = await hook('tinc-up', ADDRESS_ARGS);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('tinc-up vpn: 172.16.2.2/16 is already on vpn');
    expect(await addresses()).toEqual(['inet 172.16.2.2/16', 'inet6 fd00:16::2/64 nodad']);
    expect(await routeText(seed.ns)).toBe(table);
  });

  it('refuses bad input before anything changes: exit 2, one line, the interface untouched', async () => {
    for (const bad of [
      ['--address', '172.16.2.2'], // no prefix length
      ['--address', '172.16.2.2/33'],
      ['--address', '300.1.1.1/16'],
      ['--address', '224.0.0.1/4'],
      ['--address', '0.0.0.0/0'],
      ['--address', '172.16.2.2/16', '--address', '172.16.2.2/24'],
      ['--address', '172.16.2.2/16', '--address', 'fd00::1/64', '--address', 'nonsense'],
      [], // no address at all
    ]) {
      const r = await hook('tinc-up', bad);
      expect(r.code, `${bad.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^redirect-gateway: hook: .*(--address|address)/);
    }
    expect(await addresses()).toEqual([]);
    expect(await isUp()).toBe(false);
  });

  it('says what is wrong without INTERFACE, and for an interface that does not exist', async () => {
    const unset = await hook('tinc-up', ADDRESS_ARGS, {});
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/INTERFACE is not set/);
    const missing = await hook('tinc-up', ADDRESS_ARGS, { INTERFACE: 'novpn' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/redirect-gateway: hook: no interface novpn/);
    expect((await hook('tinc-up', ADDRESS_ARGS, { INTERFACE: 'bad/name' })).code).toBe(2);
    expect(await addresses()).toEqual([]);
  });

  it('--address is refused for the host events', async () => {
    const r = await hook('down', ADDRESS_ARGS);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--address is for the tinc-up and tinc-down events/);
  });
});

describe('hook tinc-down', () => {
  it("removes our addresses and keeps the user's; without a redirect it lifts nothing", async () => {
    expect((await hook('tinc-up', ADDRESS_ARGS)).code).toBe(0);
    await ip(seed.ns, 'address', 'add', '10.9.9.9/24', 'dev', 'vpn');
    const r = await hook('tinc-down', ADDRESS_ARGS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'tinc-down vpn: deleted address 172.16.2.2/16 dev vpn',
        'tinc-down vpn: deleted address fd00:16::2/64 dev vpn',
        '',
      ].join('\n'),
    );
    expect(await addresses()).toEqual(['inet 10.9.9.9/24']);
    const again = await hook('tinc-down', ADDRESS_ARGS);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('tinc-down vpn: nothing to change\n');
  });

  it('lifts the redirect on $INTERFACE exactly as `down` does, and the table is as before', async () => {
    expect((await hook('tinc-up', ['--address', '172.16.2.2/16'])).code).toBe(0);
    const before = await routeText(seed.ns);
    const up = await cli(['up', 'vpn', SERVER, '--gateway', '172.16.1.1', '--netns', seed.ns]);
    expect(up.code, up.stderr).toBe(0);
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('via 172.16.1.1 dev vpn');
    const r = await hook('tinc-down', ['--address', '172.16.2.2/16']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tinc-down vpn: deleted 0\.0\.0\.0\/1 via 172\.16\.1\.1 dev vpn$/m);
    expect(r.stdout).toMatch(/^tinc-down vpn: deleted address 172\.16\.2\.2\/16 dev vpn$/m);
    await ip(seed.ns, 'address', 'add', '172.16.2.2/16', 'dev', 'vpn');
    expect(await routeText(seed.ns)).toBe(before);
    expect(await ip(seed.ns, 'route', 'show', 'proto', '157')).toBe('');
  });

  it('an interface that is gone already: the redirect is lifted, nothing else to do, exit 0', async () => {
    expect((await hook('tinc-up', ['--address', '172.16.2.2/16'])).code).toBe(0);
    await ip(seed.ns, 'link', 'del', 'vpn');
    const r = await hook('tinc-down', ['--address', '172.16.2.2/16']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('tinc-down vpn: vpn is gone with its addresses\n');
  });
});
