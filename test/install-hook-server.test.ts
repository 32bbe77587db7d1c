// install-hook's tinc-up/tinc-down for a client (--address, --kill-switch) and a server (--server), the host
// file's Subnet lines (a warning, or --add-subnet), and its refusals: nothing is written or half-written.
import { chmod, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_WARNING, CLI, cli } from './support/cli.js';
import { tempDir } from './support/package.js';

const MARKER = '# written by redirect-gateway install-hook';
const KEY = '-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n';
let confbase: string;

beforeEach(async () => {
  confbase = await tempDir('tincup');
  await mkdir(join(confbase, 'hosts'));
  await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  await writeFile(join(confbase, 'hosts', 'server'), `Address = 198.51.100.10\nSubnet = 0.0.0.0/0\n${KEY}`);
});

/** `exec 'node' 'main.js' WORDS...` as the scripts write it. */
const command = (...words: string[]) => [process.execPath, CLI, ...words].map((w) => `'${w}'`).join(' ');
const script = (...lines: string[]) => `#!/bin/sh\n${MARKER}\n${lines.join('\n')}\n`;
const read = (path: string) => readFile(join(confbase, path), 'utf8');

/** Every file under the confbase with its content (a link as its target): what "nothing written" compares. */
async function snapshot(dir = confbase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) out[path] = `-> link`;
    else if (entry.isFile()) out[path] = await readFile(path, 'utf8');
  }
  return out;
}

describe('install-hook --address (client)', () => {
  const client = ['install-hook', '--node', 'server', '--confbase', '.'];
  const run = (...args: string[]) => cli([...client.slice(0, -1), confbase, ...args]);

  it('also writes tinc-up and tinc-down, which run our executable and no `ip`', async () => {
    const r = await run('--address', '172.16.2.2/16', '--address', 'fd00:16::2/64');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(
      ['hosts/server-up', 'hosts/server-down', 'tinc-up', 'tinc-down'].map((p) => `wrote ${join(confbase, p)}`),
    );
    const addresses = ['--address', '172.16.2.2/16', '--address', 'fd00:16::2/64'];
    expect(await read('tinc-up')).toBe(script(`exec ${command('hook', 'tinc-up', ...addresses)}`));
    expect(await read('tinc-down')).toBe(script(`exec ${command('hook', 'tinc-down', ...addresses)}`));
    expect((await stat(join(confbase, 'tinc-up'))).mode & 0o777).toBe(0o755);
    expect(await read('tinc-up')).not.toMatch(/\bip\b/);
    expect((await run('--address', '172.16.2.2/16', '--address', 'fd00:16::2/64')).stdout).toBe(
      'the scripts are already installed\n',
    );
  });

  it('passes --kill-switch, --block-ipv6, --strategy and --follow on to hook up; --kill-switch: tinc-up arms it', async () => {
    const r = await run('--kill-switch', '--block-ipv6', '--strategy', 'rules', '--follow');
    expect(r.code, r.stderr).toBe(0);
    expect(await read('hosts/server-up')).toBe(
      script(`exec ${command('hook', 'up', '--kill-switch', '--block-ipv6', '--follow', '--strategy', 'rules')}`),
    );
    const arm = ['--kill-switch', '--block-ipv6', '--strategy', 'rules', '--remote', '198.51.100.10'];
    expect(await read('tinc-up')).toBe(script(`exec ${command('hook', 'tinc-up', ...arm)}`));
    expect(await read('tinc-down')).toBe(script(`exec ${command('hook', 'tinc-down')}`));
    const bad = await run('--strategy', 'both');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid strategy: "both" \(halves or rules\)/);
  });

  it("passes --lockdown and --lan on, with hosts/server's Port; refuses an Address that is a host name", async () => {
    await writeFile(
      join(confbase, 'hosts', 'server'),
      `Address = 198.51.100.10\nPort = 6550\nSubnet = 0.0.0.0/0\n${KEY}`,
    );
    const r = await run('--lockdown', '--lan', 'block');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(CHECKOUT_WARNING);
    expect(await read('hosts/server-up')).toBe(
      script(`exec ${command('hook', 'up', '--lockdown', '--lan', 'block', '--server-port', '6550')}`),
    );
    await writeFile(join(confbase, 'hosts', 'server'), `Address = vpn.example.org 655\nSubnet = 0.0.0.0/0\n${KEY}`);
    // tinc-up arms the lockdown before tinc resolves anything: the server's address must be an IP address.
    const named = await run('--lockdown', '--force');
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(
      /says Address = vpn\.example\.org; give an IP address there.*ServerIP, CVE-2023-36673/,
    );
    expect(await read('hosts/server-up')).toBe(
      script(`exec ${command('hook', 'up', '--lockdown', '--lan', 'block', '--server-port', '6550')}`),
    );
    expect(await read('tinc-up')).toMatch(
      /'hook' 'tinc-up' '--lockdown' '--lan' 'block' '--server-port' '6550' '--remote' '198\.51\.100\.10'/,
    );
    const bad = await run('--lan', 'private');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid lan: private needs the lockdown/);
  });

  it("--strategy rules passes hosts/server's Port on, to tinc-up's arming too: its exception is that port only", async () => {
    await writeFile(
      join(confbase, 'hosts', 'server'),
      `Address = 198.51.100.10\nPort = 6550\nSubnet = 0.0.0.0/0\n${KEY}`,
    );
    const r = await run('--strategy', 'rules', '--kill-switch');
    expect(r.code, r.stderr).toBe(0);
    expect(await read('hosts/server-up')).toMatch(/'--strategy' 'rules' '--server-port' '6550'\n/);
    expect(await read('tinc-up')).toMatch(/'--strategy' 'rules' '--server-port' '6550' '--remote' '198\.51\.100\.10'/);
  });

  it('--kill-switch refuses a server whose Address is a host name or missing: tinc-up arms before tinc resolves it', async () => {
    await writeFile(join(confbase, 'hosts', 'server'), `Address = vpn.example.org 655\n${KEY}`);
    const before = await snapshot();
    const named = await run('--kill-switch');
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/says Address = vpn\.example\.org; give an IP address there, not a host name/);
    await writeFile(join(confbase, 'hosts', 'server'), `Subnet = 0.0.0.0/0\n${KEY}`);
    expect((await run('--kill-switch')).stderr).toMatch(/hosts\/server must have its Address/);
    expect(await snapshot()).toEqual({ ...before, [join(confbase, 'hosts', 'server')]: `Subnet = 0.0.0.0/0\n${KEY}` });
  });

  it("refuses a user's own tinc-up, saying the line to add; nothing else is written; --force replaces it", async () => {
    await writeFile(join(confbase, 'tinc-up'), '#!/bin/sh\nip link set "$INTERFACE" up\n', { mode: 0o755 });
    const before = await snapshot();
    const r = await run('--address', '172.16.2.2/16');
    expect(r.code).toBe(1);
    const line = command('hook', 'tinc-up', '--address', '172.16.2.2/16');
    expect(r.stderr).toBe(
      `redirect-gateway: install-hook: ${join(confbase, 'tinc-up')} exists and is not the script this would write: add this line to it: \`${line}\` (or use --force to replace it)\n`,
    );
    expect(await snapshot()).toEqual(before);
    expect((await run('--address', '172.16.2.2/16', '--force')).code).toBe(0);
    expect(await read('tinc-up')).toBe(script(`exec ${line}`));
  });

  it('never writes through a symbolic link at a script path; --force replaces the link, not its target', async () => {
    const target = join(confbase, 'elsewhere');
    await writeFile(target, 'precious\n');
    await symlink(target, join(confbase, 'tinc-down'));
    const r = await run('--kill-switch');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tinc-down is a symbolic link: install-hook never writes through one/);
    await expect(lstat(join(confbase, 'hosts', 'server-up'))).rejects.toThrow(/ENOENT/);
    expect((await run('--kill-switch', '--force')).code).toBe(0);
    expect((await lstat(join(confbase, 'tinc-down'))).isSymbolicLink()).toBe(false);
    expect(await read('tinc-down')).toContain(MARKER);
    expect(await readFile(target, 'utf8')).toBe('precious\n');
  });

  it('uninstall-hook removes tinc-up and tinc-down of ours with the host scripts', async () => {
    expect((await run('--address', '172.16.2.2/16')).code).toBe(0);
    const r = await cli(['uninstall-hook', '--node', 'server', '--confbase', confbase]);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(Object.keys(await snapshot()).sort()).toEqual(
      [join(confbase, 'hosts', 'server'), join(confbase, 'tinc.conf')].sort(),
    );
  });
});

describe('install-hook --server', () => {
  beforeEach(async () => {
    await writeFile(join(confbase, 'tinc.conf'), 'Name = server\n');
    await writeFile(join(confbase, 'hosts', 'server'), `Address = 198.51.100.10\nSubnet = 172.16.1.1/32\n${KEY}`);
  });
  const run = (...args: string[]) => cli(['install-hook', '--server', '--confbase', confbase, ...args]);

  it("writes tinc-up (address, link up, serve) and tinc-down (unserve, address off); warns about the host file's Subnet", async () => {
    const r = await run('--address', '172.16.1.1/16');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['tinc-up', 'tinc-down'].map((p) => `wrote ${join(confbase, p)}`));
    const address = ['--address', '172.16.1.1/16'];
    expect(await read('tinc-up')).toBe(
      script(`${command('hook', 'tinc-up', ...address)} || exit`, `exec ${command('serve')} "$INTERFACE"`),
    );
    expect(await read('tinc-down')).toBe(
      script(`${command('unserve')} "$INTERFACE"`, `exec ${command('hook', 'tinc-down', ...address)}`),
    );
    expect(r.stderr).toBe(
      `warning: ${join(confbase, 'hosts', 'server')} has no "Subnet = 0.0.0.0/0": add it to hosts/server on the server and here (or use --add-subnet), or tincd will not send other traffic to server\n${CHECKOUT_WARNING}`,
    );
    const six = await run('--address', '172.16.1.1/16', '--address', 'fd00:16::1/64', '--force');
    expect(six.stderr).toMatch(/no "Subnet = 0\.0\.0\.0\/0"[^\n]*\n[^\n]*no "Subnet = ::\/0"/);
  });

  it('--add-subnet adds the missing lines before the key, every other byte as it was, the mode kept', async () => {
    const hostFile = join(confbase, 'hosts', 'server');
    await writeFile(hostFile, `Address = 198.51.100.10 # real\r\nSubnet = 172.16.1.1/32\n${KEY}`);
    await chmod(hostFile, 0o640);
    const r = await run('--address', '172.16.1.1/16', '--address', 'fd00:16::1/64', '--add-subnet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(CHECKOUT_WARNING);
    expect(r.stdout).toContain(`added "Subnet = 0.0.0.0/0" to ${hostFile}\nadded "Subnet = ::/0" to ${hostFile}\n`);
    expect(await readFile(hostFile, 'utf8')).toBe(
      `Address = 198.51.100.10 # real\r\nSubnet = 172.16.1.1/32\nSubnet = 0.0.0.0/0\nSubnet = ::/0\n${KEY}`,
    );
    expect((await stat(hostFile)).mode & 0o777).toBe(0o640);
    const again = await run('--address', '172.16.1.1/16', '--address', 'fd00:16::1/64', '--add-subnet');
    expect(again.stdout).toBe('the scripts are already installed\n');
    expect(await readdir(join(confbase, 'hosts'))).toEqual(['server']);
  });

  it('--add-subnet on a host file without a key and without a last newline', async () => {
    const hostFile = join(confbase, 'hosts', 'server');
    await writeFile(hostFile, 'Subnet = 172.16.1.1/32');
    expect((await run('--address', '172.16.1.1/16', '--add-subnet')).code).toBe(0);
    expect(await readFile(hostFile, 'utf8')).toBe('Subnet = 172.16.1.1/32\nSubnet = 0.0.0.0/0\n');
  });

  it('--add-subnet never writes through a symbolic link at the host file; no script is written', async () => {
    const real = join(confbase, 'server.real');
    await writeFile(real, 'Subnet = 172.16.1.1/32\n');
    await rm(join(confbase, 'hosts', 'server'));
    await symlink(real, join(confbase, 'hosts', 'server'));
    const before = await snapshot();
    const r = await run('--address', '172.16.1.1/16', '--add-subnet');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hosts\/server is not a regular file: add Subnet = 0\.0\.0\.0\/0 by hand/);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a user's own tinc-down naming both lines, before the host file is touched", async () => {
    await writeFile(join(confbase, 'tinc-down'), '#!/bin/sh\n');
    const before = await snapshot();
    const r = await run('--address', '172.16.1.1/16', '--add-subnet');
    expect(r.code).toBe(1);
    const lines = [`${command('unserve')} "$INTERFACE"`, command('hook', 'tinc-down', '--address', '172.16.1.1/16')];
    expect(r.stderr).toContain(`add these lines to it: \`${lines[0]}\` then \`${lines[1]}\` (or use --force`);
    expect(await snapshot()).toEqual(before);
  });

  it('uninstall-hook --server removes our tinc-up and tinc-down only', async () => {
    expect((await run('--address', '172.16.1.1/16')).code).toBe(0);
    await writeFile(join(confbase, 'tinc-down'), '#!/bin/sh\necho mine\n');
    const r = await cli(['uninstall-hook', '--server', '--confbase', confbase]);
    expect(r.stdout).toBe(`removed ${join(confbase, 'tinc-up')}\n`);
    expect(await read('tinc-down')).toBe('#!/bin/sh\necho mine\n');
  });
});

describe('hostile input: a clear error, exit 2 or 1, nothing written', () => {
  const server = (...args: string[]) => ['install-hook', '--server', '--confbase', confbase, ...args];
  const client = (...args: string[]) => ['install-hook', '--node', 'server', '--confbase', confbase, ...args];
  const cases: [string, () => Promise<void>, () => string[], number, RegExp][] = [
    [
      'a CIDR without a length',
      async () => {},
      () => client('--address', '172.16.2.2'),
      2,
      /prefix length, as 172\.16\.1\.2\/16/,
    ],
    ['a bad CIDR', async () => {}, () => client('--address', '172.16.2.2/99'), 2, /prefix length is 0 to 32/],
    ['a multicast address', async () => {}, () => server('--address', 'ff02::1/64'), 2, /is a multicast address/],
    ['a shell word as address', async () => {}, () => client('--address', "'; rm -rf /; '/16"), 2, /invalid --address/],
    [
      'a node name with a slash',
      async () => {},
      () => ['install-hook', '--node', '../x', '--confbase', confbase],
      2,
      /--node needs a tinc node name/,
    ],
    [
      '--server with --node',
      async () => {},
      () => server('--node', 'server', '--address', '172.16.1.1/16'),
      2,
      /give no --node/,
    ],
    ['--server without --address', async () => {}, () => server(), 2, /--server needs the server's VPN --address/],
    [
      '--server with --kill-switch',
      async () => {},
      () => server('--address', '172.16.1.1/16', '--kill-switch'),
      2,
      /--kill-switch is for a client/,
    ],
    [
      'a confbase without hosts/',
      async () => rm(join(confbase, 'hosts'), { recursive: true }),
      () => client('--address', '172.16.2.2/16'),
      1,
      /hosts is not a directory: is .* a tinc configuration\?/,
    ],
    [
      'a tinc.conf whose Name is no node name',
      async () => writeFile(join(confbase, 'tinc.conf'), 'Name = $HOST\n'),
      () => server('--address', '172.16.1.1/16'),
      1,
      /tinc\.conf says Name = "\$HOST": not a node name/,
    ],
    [
      'a tinc.conf of binary garbage',
      async () => writeFile(join(confbase, 'tinc.conf'), Buffer.from([0, 1, 2, 0xff, 0x0a, 0x3d, 0x3d])),
      () => server('--address', '172.16.1.1/16'),
      1,
      /tinc\.conf has no Name/,
    ],
    [
      'a tinc.conf that is a directory',
      async () => {
        await rm(join(confbase, 'tinc.conf'));
        await mkdir(join(confbase, 'tinc.conf'));
      },
      () => client('--address', '172.16.2.2/16'),
      1,
      /cannot read tinc configuration .*tinc\.conf/,
    ],
    [
      'a directory at tinc-up',
      async () => mkdir(join(confbase, 'tinc-up')),
      () => client('--address', '172.16.2.2/16', '--force'),
      1,
      /tinc-up is not a file/,
    ],
  ];
  for (const [what, prepare, args, code, message] of cases) {
    it(what, async () => {
      await prepare();
      const before = await snapshot();
      const r = await cli(args());
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(await snapshot()).toEqual(before);
    });
  }
});
