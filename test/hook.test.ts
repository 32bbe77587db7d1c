// The executable as tinc runs it: through a symbolic link named NODE-up/-down (or host-up/-down), with
// tincd's environment and no arguments; and install-hook/uninstall-hook, which write those scripts.
import { chmod, lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_WARNING, CLI, cli } from './support/cli.js';
import { findProgram, runStatus } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { tempDir } from './support/package.js';
import { createSeed, pathTo, routeText, SERVER, VPN_GATEWAY, type Seed } from './support/seed.js';

/** ip's absolute path, for runs whose PATH leads nowhere. */
const IP = findProgram('ip')!;

let seed: Seed;
let before: string;
let confbase: string;

beforeEach(async () => {
  seed = await createSeed();
  before = await routeText(seed.ns);
  confbase = await tempDir('tinc');
  await mkdir(join(confbase, 'hosts'));
  await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  await writeFile(join(confbase, 'hosts', 'server'), 'Address = 198.51.100.10\nSubnet = 0.0.0.0/0\n');
});

/** Runs a hook script as tincd does: `sh -c PATH`, inside the client's namespace, with tincd's variables. */
function runHook(path: string, env: Record<string, string>) {
  return runStatus('ip', ['netns', 'exec', seed.ns, '/bin/sh', '-c', path], {
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      NETNAME: '',
      NAME: 'client',
      DEVICE: '/dev/net/tun',
      INTERFACE: seed.vpn,
      ...env,
    },
  });
}

async function ours(): Promise<string[]> {
  return (await ipJson<{ dst: string }[]>(seed.ns, 'route', 'show', 'proto', '157')).map((r) => r.dst);
}

describe('hook mode', () => {
  it('hook up --lockdown lets tinc through to REMOTEPORT; --server-port overrides it; down lifts it', async () => {
    const hook = (args: string) => `#!/bin/sh\nexec ${process.execPath} ${CLI} hook ${args}\n`;
    const table = () =>
      runStatus('ip', ['netns', 'exec', seed.ns, 'nft', 'list', 'table', 'inet', 'redirect_gateway_lockdown']);
    const env = { NODE: 'server', REMOTEADDRESS: SERVER, REMOTEPORT: '6655' };
    for (const [args, port] of [
      ['up --lockdown', '6655'],
      ['up --lockdown --server-port 7655', '7655'],
    ]) {
      await writeFile(join(confbase, 'hosts', 'server-up'), hook(args), { mode: 0o755 });
      const up = await runHook(join(confbase, 'hosts', 'server-up'), env);
      expect(up.code, up.stderr).toBe(0);
      const text = (await table()).stdout;
      expect(text).toContain(`ip daddr ${SERVER} udp dport ${port} accept`);
      expect(text).toContain(`ip daddr ${SERVER} tcp dport ${port} accept`);
      expect(text).not.toContain('dport 655 ');
    }
    const down = await cli(['down', seed.vpn, '--netns', seed.ns]);
    expect(down.code, down.stderr).toBe(0);
    expect((await table()).code).not.toBe(0); // no such table
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('a symbolic link hosts/server-up redirects; server-down removes it whatever REMOTEADDRESS says now', async () => {
    await symlink(CLI, join(confbase, 'hosts', 'server-up'));
    await symlink(CLI, join(confbase, 'hosts', 'server-down'));
    const up = await runHook(join(confbase, 'hosts', 'server-up'), {
      NODE: 'server',
      REMOTEADDRESS: SERVER,
      REMOTEPORT: '655',
    });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('up vpn (node server): added 0.0.0.0/1 dev vpn');
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe('dev vpn');
    expect(await pathTo(seed.ns, SERVER)).toBe('via 192.168.1.1 dev eth0');
    const down = await runHook(join(confbase, 'hosts', 'server-down'), {
      NODE: 'server',
      REMOTEADDRESS: '203.0.113.99',
      REMOTEPORT: '655',
    });
    expect(down.code, down.stderr).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('VPN_GATEWAY in the environment gives switch style', async () => {
    const r = await runStatus('ip', ['netns', 'exec', seed.ns, process.execPath, CLI, 'hook', 'up'], {
      env: { INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, VPN_GATEWAY },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
  });

  for (const [what, env, message] of [
    ['REMOTEADDRESS=unspec (tinc 1.1)', { REMOTEADDRESS: 'unspec' }, /unspec/],
    ['no REMOTEADDRESS', {}, /REMOTEADDRESS is not set/],
    ['no INTERFACE', { INTERFACE: '', REMOTEADDRESS: SERVER }, /INTERFACE is not set/],
    ['a bad REMOTEADDRESS', { REMOTEADDRESS: '198.51.100.300' }, /invalid server address/],
  ] as const) {
    it(`exit 2 and the table untouched for ${what}`, async () => {
      await symlink(CLI, join(confbase, 'hosts', 'server-up'));
      const r = await runHook(join(confbase, 'hosts', 'server-up'), env);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(await routeText(seed.ns)).toBe(before);
    });
  }

  // A second tinc network in the namespace: its SERVER-up is refused in one line (tincd logs it and goes on), its
  // SERVER-down and tinc-down leave the first network's redirect as it is.
  it("a second network's up is refused, naming the redirect's interface; its down leaves that redirect", async () => {
    await ip(seed.ns, 'tuntap', 'add', 'dev', 'vpn2', 'mode', 'tun');
    await symlink(CLI, join(confbase, 'hosts', 'server-up'));
    await symlink(CLI, join(confbase, 'hosts', 'server-down'));
    expect((await runHook(join(confbase, 'hosts', 'server-up'), { REMOTEADDRESS: SERVER })).code).toBe(0);
    const held = await routeText(seed.ns);
    const second = { INTERFACE: 'vpn2', REMOTEADDRESS: '198.51.100.20' };
    const refused = await runHook(join(confbase, 'hosts', 'server-up'), second);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "redirect-gateway: hook: vpn has this namespace's redirect, and there is one per namespace: down vpn first\n",
    );
    const armed = await cli(['hook', 'tinc-up', '--kill-switch', '--remote', '198.51.100.20', '--netns', seed.ns], {
      env: { ...process.env, INTERFACE: 'vpn2' },
    });
    expect(armed.code).toBe(1);
    expect(armed.stderr).toMatch(/down vpn first\n$/);
    expect((await runHook(join(confbase, 'hosts', 'server-down'), second)).code).toBe(0);
    const tincDown = await cli(['hook', 'tinc-down', '--netns', seed.ns], {
      env: { ...process.env, INTERFACE: 'vpn2' },
    });
    expect(tincDown.code, tincDown.stderr).toBe(0);
    expect(await routeText(seed.ns)).toBe(held);
    expect((await runHook(join(confbase, 'hosts', 'server-down'), { REMOTEADDRESS: SERVER })).code).toBe(0);
    await ip(seed.ns, 'link', 'del', 'vpn2');
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('host-up keeps a mesh peer off the VPN only while the redirect is active', async () => {
    const env = { INTERFACE: seed.vpn };
    const hook = (event: string, more: Record<string, string>) =>
      runStatus('ip', ['netns', 'exec', seed.ns, process.execPath, CLI, 'hook', event], { env: { ...env, ...more } });
    expect((await hook('host-up', { NODE: 'peer1', REMOTEADDRESS: '203.0.113.20' })).code).toBe(0);
    expect(await ours()).toEqual([]); // not redirected yet: nothing to bypass
    expect((await hook('up', { NODE: 'server', REMOTEADDRESS: SERVER })).code).toBe(0);
    expect(await ours()).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER, '203.0.113.20']);
    expect(await pathTo(seed.ns, '203.0.113.20')).toBe('via 192.168.1.1 dev eth0');
    expect((await hook('host-up', { NODE: 'peer2', REMOTEADDRESS: '192.168.1.30' })).code).toBe(0); // on the LAN
    expect(await ours()).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER, '203.0.113.20']);
    expect((await hook('host-down', { NODE: 'peer1', REMOTEADDRESS: '203.0.113.20' })).code).toBe(0);
    expect(await ours()).toEqual(['0.0.0.0/1', '128.0.0.0/1', SERVER]);
    expect((await hook('host-up', { NODE: 'peer3', REMOTEADDRESS: '203.0.113.30' })).code).toBe(0);
    expect((await hook('down', { NODE: 'server', REMOTEADDRESS: SERVER })).code).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it('after tincd was killed, a peer coming up does not bring the half-routes back', async () => {
    const hook = (event: string, more: Record<string, string>) =>
      runStatus('ip', ['netns', 'exec', seed.ns, process.execPath, CLI, 'hook', event], {
        env: { INTERFACE: seed.vpn, ...more },
      });
    expect((await hook('host-up', { NODE: 'peer1', REMOTEADDRESS: '203.0.113.20' })).code).toBe(0);
    expect((await hook('up', { NODE: 'server', REMOTEADDRESS: SERVER })).code).toBe(0);
    // kill -9: the tun device goes, and with it the routes through it; tincd restarted makes a new one.
    await ip(seed.ns, 'link', 'delete', seed.vpn);
    await ip(seed.ns, 'tuntap', 'add', 'mode', 'tun', 'name', seed.vpn);
    await ip(seed.ns, 'link', 'set', seed.vpn, 'up');
    expect((await hook('host-up', { NODE: 'peer2', REMOTEADDRESS: '203.0.113.30' })).code).toBe(0);
    expect(await ours()).toEqual([SERVER, '203.0.113.20']);
    expect(await pathTo(seed.ns, '10.1.2.3')).toBe('via 192.168.1.1 dev eth0');
    expect((await hook('host-down', { NODE: 'peer1', REMOTEADDRESS: '203.0.113.20' })).code).toBe(0);
    expect(await ours()).toEqual([SERVER]);
  });
});

describe('install-hook', () => {
  const where = () => ['--node', 'server', '--confbase', confbase];

  it('writes executable scripts with absolute paths that work under a minimal PATH', async () => {
    const r = await cli(['install-hook', ...where(), '--gateway', VPN_GATEWAY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(CHECKOUT_WARNING);
    const script = await readFile(join(confbase, 'hosts', 'server-up'), 'utf8');
    expect(script).toMatch(
      new RegExp(`^#!/bin/sh\\n.*\\nexec '${process.execPath}' '${CLI}' 'hook' 'up' '--gateway' '${VPN_GATEWAY}'\\n$`),
    );
    expect((await lstat(join(confbase, 'hosts', 'server-down'))).mode & 0o777).toBe(0o755);
    const up = await runStatus(IP, ['netns', 'exec', seed.ns, '/bin/sh', '-c', join(confbase, 'hosts', 'server-up')], {
      env: { PATH: '/nonexistent', INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, NODE: 'server' },
    });
    expect(up.code, up.stderr).toBe(0);
    expect(await pathTo(seed.ns, '203.0.113.7')).toBe(`via ${VPN_GATEWAY} dev vpn`);
    const down = await runStatus(
      IP,
      ['netns', 'exec', seed.ns, '/bin/sh', '-c', join(confbase, 'hosts', 'server-down')],
      {
        env: { PATH: '/nonexistent', INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, NODE: 'server' },
      },
    );
    expect(down.code, down.stderr).toBe(0);
    expect(await routeText(seed.ns)).toBe(before);
  });

  it("refuses to overwrite someone else's script without --force, and is idempotent", async () => {
    await writeFile(join(confbase, 'hosts', 'server-up'), '#!/bin/sh\nip route add 10.0.0.0/8 dev $INTERFACE\n');
    const refused = await cli(['install-hook', ...where()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/server-up exists.*--force/);
    expect(await readFile(join(confbase, 'hosts', 'server-up'), 'utf8')).toContain('10.0.0.0/8');
    expect((await cli(['install-hook', ...where(), '--force'])).code).toBe(0);
    expect((await cli(['install-hook', ...where()])).stdout).toBe('the scripts are already installed\n');
  });

  it('refuses switch mode without --gateway, explaining why', async () => {
    await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nMode = switch\n');
    const r = await cli(['install-hook', ...where()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Mode = switch.*--gateway/);
    expect((await cli(['install-hook', ...where(), '--gateway', VPN_GATEWAY])).code).toBe(0);
  });

  it('warns when the server does not announce Subnet = 0.0.0.0/0, and says what to add', async () => {
    await writeFile(join(confbase, 'hosts', 'server'), 'Address = 198.51.100.10\nSubnet = 172.16.0.0/16\n');
    const r = await cli(['install-hook', ...where()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no "Subnet = 0\.0\.0\.0\/0".*add it/);
  });

  it('--mesh adds host-up and host-down; uninstall-hook removes only our scripts', async () => {
    await writeFile(join(confbase, 'tinc-up'), '#!/bin/sh\n');
    expect((await cli(['install-hook', ...where(), '--mesh'])).code).toBe(0);
    expect(await readFile(join(confbase, 'host-up'), 'utf8')).toMatch(
      /\nevent='host-up'\nfallback\(\) \{ exec .* 'hook' "\$event"; \}\n/,
    );
    await chmod(join(confbase, 'tinc-up'), 0o755);
    const r = await cli(['uninstall-hook', ...where()]);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(await readFile(join(confbase, 'tinc-up'), 'utf8')).toBe('#!/bin/sh\n');
    await expect(lstat(join(confbase, 'host-up'))).rejects.toThrow(/ENOENT/);
  });

  it('exit 2 without --node or with both --netname and --confbase', async () => {
    expect((await cli(['install-hook', '--confbase', confbase])).code).toBe(2);
    expect((await cli(['install-hook', '--node', 'server', '--netname', 'x', '--confbase', confbase])).code).toBe(2);
    expect(await ip(seed.ns, 'route', 'show', 'proto', '157')).toBe('');
  });
});
