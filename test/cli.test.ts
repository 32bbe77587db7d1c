// The executable as users run it: output, exit codes (0 done, 1 refused or failed, 2 usage), one line on
// stderr for every error, and the routing table untouched by every error.
import { beforeEach, describe, expect, it } from 'vitest';
import { CLI, cli } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { ip, ipBatch, ipJson } from './support/ip.js';
import { createSeed, pathTo, routeText, SERVER, VPN_GATEWAY, type Seed } from './support/seed.js';

let seed: Seed;
let before: string;

beforeEach(async () => {
  seed = await createSeed({ tun: { held: true } });
  before = await routeText(seed.ns);
});

function expectOneLineError(stderr: string, pattern: RegExp): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^redirect-gateway: /);
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('up, status, down', () => {
  it('redirects and restores the seed scenario, printing what changed in ip route style', async () => {
    const up = await cli(['up', seed.vpn, SERVER, '--netns', seed.ns]);
    expect(up.code).toBe(0);
    expect(up.stdout).toBe(
      `added ${SERVER}/32 via 192.168.1.1 dev eth0\nadded 0.0.0.0/1 dev vpn\nadded 128.0.0.0/1 dev vpn\n` +
        `added rule 32764: to ${SERVER}/32 lookup main suppress_prefixlength 1\n` +
        `added rule 32765: to ${SERVER}/32 unreachable\n`,
    );
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');

    const again = await cli(['up', seed.vpn, SERVER, '--netns', seed.ns]);
    expect(again).toMatchObject({ code: 0, stdout: 'vpn: already redirected, nothing changed\n' });

    const status = await cli(['status', seed.vpn, '--netns', seed.ns, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ iface: 'vpn', active: true, remote: SERVER, problems: [] });
    const text = await cli(['status', '--netns', seed.ns]);
    expect(text.stdout).toMatch(/^vpn: active, router style, IPv4, server 198\.51\.100\.10\n/);

    const down = await cli(['down', seed.vpn, '--netns', seed.ns, '--json']);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout).changes).toHaveLength(3);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('switch style with --gateway, both families with --family both', async () => {
    const up = await cli(['up', seed.vpn, SERVER, '--gateway', VPN_GATEWAY, '--family', 'both', '--netns', seed.ns]);
    expect(up.code).toBe(0);
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
    expect(await pathTo(seed.ns, '2001:db8::1')).toBe('dev vpn');
    expect((await cli(['down', seed.vpn, '--netns', seed.ns])).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });
});

describe('routes', () => {
  it('prints the table like ip route does', async () => {
    await ip(seed.ns, 'route', 'add', '10.9.0.0/16', 'via', '192.168.1.1', 'metric', '7');
    const ours = await cli(['routes', '-4', '--netns', seed.ns]);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(await ip(seed.ns, '-4', 'route', 'show'));
  });

  it('writes all of a large table into a pipe before it exits', async () => {
    await ipBatch(
      seed.ns,
      Array.from({ length: 3000 }, (_, i) => `route add 10.${i >> 8}.${i & 255}.0/24 dev eth0`),
    );
    const ours = await cli(['routes', '-4', '--netns', seed.ns, '--json']);
    expect(ours.code).toBe(0);
    expect(JSON.parse(ours.stdout)).toHaveLength((await ipJson<unknown[]>(seed.ns, '-4', 'route', 'show')).length);
  });

  it("--json, streamed, is byte for byte ip -j's objects as JSON.stringify(list, null, 2) prints them", async () => {
    await ipBatch(
      seed.ns,
      Array.from({ length: 2000 }, (_, i) => `route add 10.${i >> 8}.${i & 255}.0/24 via 192.168.1.1 metric ${i % 3}`),
    );
    const ours = await cli(['routes', '--netns', seed.ns, '--json', '--table', 'all']);
    const theirs = [
      ...(await ipJson<unknown[]>(seed.ns, '-4', 'route', 'show', 'table', 'all')),
      ...(await ipJson<unknown[]>(seed.ns, '-6', 'route', 'show', 'table', 'all')),
    ];
    expect(ours.stdout).toBe(`${JSON.stringify(theirs, null, 2)}\n`);
    expect(theirs).toContainEqual({ dst: 'default', gateway: '192.168.1.1', dev: 'eth0', flags: [] });
  });
});

describe('a reader that went away', () => {
  // Standard output a pipe whose reader has exited before the CLI starts (bash waits for it): the first write
  // fails with EPIPE, as in `redirect-gateway routes | head`.
  const withGoneReader = (args: string[]) =>
    runStatus('bash', ['-c', 'exec 3> >(:); wait $!; exec "$@" >&3', '-', process.execPath, CLI, ...args]);

  it('ends a line of output quietly with exit 0, as ip does', async () => {
    const r = await withGoneReader(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('ends a listing quietly with exit 0', async () => {
    const r = await withGoneReader(['routes', '--netns', seed.ns]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('errors: one line, the right exit code, the table untouched', () => {
  const usage: [string, string[], RegExp][] = [
    ['a bad server address', ['up', 'vpn', '198.51.100'], /invalid server address/],
    ['a bad gateway', ['up', 'vpn', SERVER, '--gateway', '172.16.1'], /invalid gateway/],
    ['a broadcast gateway', ['up', 'vpn', SERVER, '--gateway', '255.255.255.255'], /broadcast/],
    ['a loopback server', ['up', 'vpn', '127.0.0.1'], /loopback/],
    ['an interface name over 15 bytes', ['up', 'a-very-long-ifname', SERVER], /longer than 15 bytes/],
    ['an unknown option', ['up', 'vpn', SERVER, '--bogus'], /unknown option "--bogus"/],
    ['an unknown command', ['sideways'], /unknown command "sideways"/],
    ['a missing argument', ['up', 'vpn'], /missing IFACE and REMOTE/],
    ['a bad family', ['up', 'vpn', SERVER, '--family', '5'], /invalid family/],
    ['a bad table', ['routes', '--table', 'mian'], /invalid table/],
  ];
  for (const [what, args, message] of usage) {
    it(`exit 2 for ${what}`, async () => {
      const r = await cli([...args, '--netns', seed.ns]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, message);
      expect(await routeText(seed.ns)).toBe(before);
    });
  }

  it('exit 1 for a missing interface', async () => {
    const r = await cli(['up', 'tun7', SERVER, '--netns', seed.ns]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no such interface: tun7/);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('exit 1 for no route to the server', async () => {
    await ip(seed.ns, 'route', 'delete', 'default');
    before = await routeText(seed.ns);
    const r = await cli(['up', seed.vpn, SERVER, '--netns', seed.ns]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no route to the server/);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it("exit 1 for a conflict with someone else's route, which is named", async () => {
    await ip(seed.ns, 'route', 'add', '0.0.0.0/1', 'via', '192.168.1.254');
    before = await routeText(seed.ns);
    const r = await cli(['up', seed.vpn, SERVER, '--netns', seed.ns]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /0\.0\.0\.0\/1 via 192\.168\.1\.254 dev eth0/);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('exit 1 for a missing namespace', async () => {
    const r = await cli(['routes', '--netns', 'no-such-ns']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no-such-ns/);
  });

  it('--help for every command', async () => {
    for (const command of ['up', 'down', 'status', 'routes', 'hook', 'install-hook', 'uninstall-hook']) {
      const r = await cli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^usage: redirect-gateway ${command}`));
    }
    expect((await cli(['--help'])).stdout).toMatch(/^usage: redirect-gateway COMMAND/);
  });
});
