// install-hook and uninstall-hook as a careful administrator uses them, on configurations the way real ones are:
// options changed by running it again, a misspelt node, FIFOs, conf.d/, other owners, loose permissions, the key
// block before a Subnet, an executable in a checkout or a temporary directory. The oracle: `ls -l` of the
// configuration and every file's bytes.
import { chmod, chown, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_WARNING, CLI, cli } from './support/cli.js';
import { run, runStatus } from './support/exec.js';
import { REPO, tempDir } from './support/package.js';
import { createSeed, SERVER } from './support/seed.js';

const MARKER = '# written by redirect-gateway install-hook';
const KEY = '-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n';
const NOBODY = 65534;
let confbase: string;

beforeEach(async () => {
  confbase = await tempDir('admin');
  await mkdir(join(confbase, 'hosts'));
  await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  await writeFile(join(confbase, 'hosts', 'server'), `Address = 198.51.100.10\nSubnet = 0.0.0.0/0\n${KEY}`);
});

const at = (path: string) => join(confbase, path);
/** `'node' 'main.js' WORDS...` as the scripts write them. */
const command = (...words: string[]) => [process.execPath, CLI, ...words].map((w) => `'${w}'`).join(' ');
const script = (...lines: string[]) => `#!/bin/sh\n${MARKER}\n${lines.join('\n')}\n`;
const read = (path: string) => readFile(at(path), 'utf8');
const install = (...args: string[]) => cli(['install-hook', '--node', 'server', '--confbase', confbase, ...args]);
const uninstall = (node = 'server') => cli(['uninstall-hook', '--node', node, '--confbase', confbase]);

/** `ls -lnAR` of the configuration (modes, owners, sizes, times) and the bytes of every regular file. */
async function snapshot(): Promise<string> {
  const ls = (await run('ls', ['-lnAR', '--time-style=full-iso', confbase])).stdout;
  const files = [];
  for (const entry of await readdir(confbase, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile()) files.push(`${path}:\n${await readFile(path, 'latin1')}`);
  }
  return [ls, ...files.sort()].join('\n');
}

describe('options are changed by running install-hook again', () => {
  it('replaces its own scripts with one more option, and removes those the options no longer need', async () => {
    expect((await install('--address', '172.16.2.2/16')).code).toBe(0);
    const more = await install('--address', '172.16.2.2/16', '--address', 'fd00:16::2/64', '--family', 'both');
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toBe(
      ['hosts/server-up', 'tinc-up', 'tinc-down'].map((p) => `replaced ${at(p)}`).join('\n') + '\n',
    );
    const addresses = ['--address', '172.16.2.2/16', '--address', 'fd00:16::2/64'];
    expect(await read('hosts/server-up')).toBe(script(`exec ${command('hook', 'up', '--family', 'both')}`));
    expect(await read('tinc-up')).toBe(script(`exec ${command('hook', 'tinc-up', ...addresses)}`));

    const killSwitch = await install('--kill-switch', '--no-follow');
    expect(killSwitch.code, killSwitch.stderr).toBe(0);
    expect(killSwitch.stdout).toBe(
      [`replaced ${at('hosts/server-up')}`, `replaced ${at('tinc-up')}`, `replaced ${at('tinc-down')}`]
        .join('\n')
        .concat('\n'),
    );
    expect(await read('hosts/server-up')).toBe(script(`exec ${command('hook', 'up', '--kill-switch')}`));
    // tinc-up arms the kill switch with no address of its own to set.
    const arm = ['--kill-switch', '--remote', '198.51.100.10'];
    expect(await read('tinc-up')).toBe(script(`exec ${command('hook', 'tinc-up', ...arm)}`));
    expect(await read('tinc-down')).toBe(script(`exec ${command('hook', 'tinc-down')}`));
    expect((await install('--no-follow')).stdout).toContain(`removed ${at('tinc-up')} (not wanted now)`);
    expect(await readdir(confbase)).not.toContain('tinc-up');
  });

  it("a user's script that only mentions the marker is still theirs: refused, and its bytes kept", async () => {
    const theirs = `#!/bin/sh\n# was: ${MARKER}\nip link set "$INTERFACE" up\n`;
    await writeFile(at('tinc-up'), theirs, { mode: 0o755 });
    const before = await snapshot();
    const r = await install('--address', '172.16.2.2/16');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tinc-up exists and is not the script this would write: add this line/);
    expect(await snapshot()).toBe(before);
  });
});

describe('uninstall-hook', () => {
  it('a misspelt node removes nothing, names the node installed, and exits 1', async () => {
    expect((await install('--address', '172.16.2.2/16', '--mesh')).code).toBe(0);
    const before = await snapshot();
    const r = await uninstall('servr');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `redirect-gateway: uninstall-hook: no scripts of ours for node servr in ${at('hosts')} (ours are there for: server); nothing removed\n`,
    );
    expect(await snapshot()).toBe(before);
    const removed = await uninstall();
    expect(removed.stdout.trim().split('\n')).toEqual(
      ['hosts/server-up', 'hosts/server-down', 'tinc-up', 'tinc-down', 'host-up', 'host-down'].map(
        (p) => `removed ${at(p)}`,
      ),
    );
    expect([(await uninstall()).code, (await uninstall()).stderr]).toEqual([1, expect.stringMatching(/servr|server/)]);
  });

  it("leaves a user's script that mentions the marker in a comment", async () => {
    expect((await install()).code).toBe(0);
    const theirs = `#!/bin/sh\necho peer up # not ${MARKER}\n`;
    await writeFile(at('host-up'), theirs, { mode: 0o755 });
    const r = await uninstall();
    expect(r.stdout).toBe(`removed ${at('hosts/server-up')}\nremoved ${at('hosts/server-down')}\n`);
    expect(await read('host-up')).toBe(theirs);
  });
});

describe('refused, writing nothing', () => {
  const cases: [string, () => Promise<unknown>, string[], RegExp][] = [
    [
      'a node without a host file',
      async () => {},
      ['--node', 'servr'],
      /hosts\/servr does not exist: .*\(the hosts there: server\)/,
    ],
    [
      "this node's own name",
      async () => {},
      ['--node', 'client'],
      /--node client is this node's own Name \(tinc\.conf\)/,
    ],
    [
      'a FIFO as the server host file',
      async () => rm(at('hosts/server')).then(() => run('mkfifo', [at('hosts/server')])),
      ['--node', 'server'],
      /hosts\/server is a FIFO, not a regular file/,
    ],
    [
      'a FIFO as tinc.conf',
      async () => rm(at('tinc.conf')).then(() => run('mkfifo', [at('tinc.conf')])),
      ['--node', 'server'],
      /cannot read tinc configuration .*tinc\.conf: .*tinc\.conf is a FIFO, not a regular file/,
    ],
    [
      'a FIFO in conf.d',
      async () => mkdir(at('conf.d')).then(() => run('mkfifo', [at('conf.d/extra.conf')])),
      ['--node', 'server'],
      /conf\.d\/extra\.conf is a FIFO/,
    ],
    [
      'Mode = switch in conf.d without --gateway',
      async () => mkdir(at('conf.d')).then(() => writeFile(at('conf.d/mode.conf'), 'Mode = switch\n')),
      ['--node', 'server'],
      /says Mode = switch.*--gateway IP/,
    ],
    [
      'a world-writable configuration directory',
      async () => chmod(confbase, 0o777),
      ['--node', 'server'],
      /refusing to write scripts that tincd runs as root into .*: .* is writable by others \(mode 0777\) \(chmod go-w /,
    ],
    [
      'a group-writable hosts directory',
      async () => chmod(at('hosts'), 0o775),
      ['--node', 'server'],
      /hosts is writable by others \(mode 0775\)/,
    ],
    [
      'a configuration directory of another user',
      async () => chown(confbase, NOBODY, NOBODY),
      ['--server', '--address', '172.16.1.1/16'],
      /belongs to uid 65534, not root \(chown root /,
    ],
  ];
  for (const [what, prepare, args, message] of cases) {
    it(what, async () => {
      await prepare();
      const before = await snapshot();
      const r = await cli(['install-hook', '--confbase', confbase, ...args], { timeoutMs: 10_000 });
      expect(r.timedOut).toBe(false);
      expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(message)]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(await snapshot()).toBe(before);
    });
  }

  it('Mode = switch in conf.d with --gateway is what it asks for', async () => {
    await mkdir(at('conf.d'));
    await writeFile(at('conf.d/mode.conf'), 'Mode = switch\n');
    expect((await install('--gateway', '172.16.1.1')).code).toBe(0);
  });
});

describe("the server's host file", () => {
  it('a Subnet = 0.0.0.0/0 after the key block counts: no second one, no warning', async () => {
    await writeFile(at('hosts/server'), `Address = 198.51.100.10\n${KEY}Subnet = 0.0.0.0/0\n`);
    const before = await readFile(at('hosts/server'));
    const r = await install('--add-subnet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(CHECKOUT_WARNING);
    expect(r.stdout).not.toMatch(/added/);
    expect(await readFile(at('hosts/server'))).toEqual(before);
  });

  it("--add-subnet keeps the host file's owner, group and mode", async () => {
    await writeFile(at('hosts/server'), `Address = 198.51.100.10\n${KEY}`);
    await chown(at('hosts/server'), NOBODY, NOBODY);
    await chmod(at('hosts/server'), 0o640);
    const r = await install('--family', 'both', '--add-subnet');
    expect(r.code, r.stderr).toBe(0);
    const ls = (await run('ls', ['-ln', at('hosts/server')])).stdout;
    expect(ls).toMatch(new RegExp(`^-rw-r----- 1 ${NOBODY} ${NOBODY} `));
    expect(await read('hosts/server')).toBe(`Address = 198.51.100.10\nSubnet = 0.0.0.0/0\nSubnet = ::/0\n${KEY}`);
  });
});

describe('the executable the scripts run', () => {
  it('from a checkout: a warning that says so', async () => {
    const r = await install();
    expect([r.code, r.stderr]).toEqual([0, CHECKOUT_WARNING]);
  });

  it('from a temporary directory: a warning; once it is gone, install-hook says so as it replaces the script', async () => {
    const { main, installed, remove } = await installFromCopy(confbase);
    expect(installed.stderr).toBe(
      `warning: the scripts run ${main}, in the temporary directory /tmp: tinc breaks if it moves or goes; install the package (npm install -g) and run install-hook again from there\n`,
    );
    expect(await read('hosts/server-up')).toContain(`'${main}' 'hook' 'up'`);
    await remove();
    const again = await install();
    expect(again.stdout).toBe(
      ['hosts/server-up', 'hosts/server-down']
        .map((p) => `replaced ${at(p)} (it ran ${main}, which is gone)\n`)
        .join(''),
    );
  });

  it('status: a problem line for a script of ours in /etc/tinc/NET whose program is gone', async () => {
    const seed = await createSeed({ tun: { held: true } });
    expect((await cli(['up', seed.vpn, SERVER, '--netns', seed.ns])).code).toBe(0);
    const etc = await tempDir('etc-tinc');
    const net = join(etc, seed.vpn); // tinc's interface is the network's name
    await cp(confbase, net, { recursive: true });
    const { main, remove } = await installFromCopy(net);
    const status = () =>
      runStatus('unshare', [
        ...['--mount', 'sh', '-c', 'mount --bind "$0" /etc/tinc && exec "$@"', etc],
        ...[process.execPath, CLI, 'status', seed.vpn, '--netns', seed.ns],
      ]);
    expect((await status()).code).toBe(0);
    await remove();
    const r = await status();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      ['down', 'up']
        .map(
          (e) =>
            `  problem: /etc/tinc/${seed.vpn}/hosts/server-${e} runs ${main}, which is gone: tincd cannot run it (run install-hook again)`,
        )
        .join('\n'),
    );
  });
});

/** install-hook run from a copy of the package in a temporary directory, which `remove` removes. */
async function installFromCopy(confbase: string) {
  const copy = await tempDir('copy');
  for (const part of ['dist', 'package.json', 'build/Release/rtnetlink.node'])
    await cp(join(REPO, part), join(copy, part), { recursive: true });
  const main = join(copy, 'dist/cli/main.js');
  const installed = await run(process.execPath, [main, 'install-hook', '--node', 'server', '--confbase', confbase]);
  return { main, installed, remove: () => rm(copy, { recursive: true }) };
}

describe('the follower by default', () => {
  const upLine = async () => (await read('hosts/server-up')).split('\n')[2];
  it('--strategy rules, --kill-switch and --mesh start one; --no-follow says not to', async () => {
    for (const [args, words] of [
      [
        ['--strategy', 'rules'],
        ['--follow', '--strategy', 'rules'],
      ],
      [['--kill-switch'], ['--kill-switch', '--follow']],
      [['--kill-switch', '--no-follow'], ['--kill-switch']],
      [
        ['--strategy', 'rules', '--no-follow'],
        ['--strategy', 'rules'],
      ],
      [[], []],
    ]) {
      const r = await install(...args);
      expect(r.code, r.stderr).toBe(0);
      expect(await upLine()).toBe(`exec ${command('hook', 'up', ...words)}`);
    }
    expect((await install('--mesh')).code).toBe(0);
    expect(await upLine()).toMatch(/'hook' 'up' '--follow' '--handoff' '[^']+'$/);
    expect(await read('host-up')).toMatch(/^d='[^']+'$/m);
  });

  it('--no-follow cannot go with --follow or --mesh', async () => {
    for (const other of ['--follow', '--mesh']) {
      const r = await install('--no-follow', other);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(`--no-follow cannot go with ${other}`)]);
    }
  });
});
