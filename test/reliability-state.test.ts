// State files: written only under /run/redirect-gateway (0700), atomically (a new file renamed over the old),
// 0600, never through a symbolic link; a corrupted, truncated, foreign or stale file is no obstacle: the
// kernel's routes are the truth. Checked by what the processes do to the file system (strace), by what they
// leave behind, and by planting links and garbage where the state, peers and lock files go.
import { chmod, chown, lstat, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { CLI, cli } from './support/cli.js';
import { redirect, InvalidInputError } from '../src/index.js';
import { run, runStatus, start } from './support/exec.js';
import { holdLock } from './support/held-lock.js';
import { tempDir } from './support/package.js';
import { ourRouteLines, Prng, runInProcess, runSeed, traceFileCalls } from './support/reliability-tools.js';
import { createSeedWithoutState, routeText, SERVER } from './support/seed.js';
import { STATE_DIR, stateFiles } from './support/state.js';

const OTHER_SERVER = '203.0.113.20';
const PEER = '198.51.100.77';
const ROUTES = [`${SERVER} via 192.168.1.1 dev eth0`, '0.0.0.0/1 dev vpn', '128.0.0.0/1 dev vpn'].sort();

let ns: string;
let clean: string;
let key: string;
/** Where the product keeps this namespace's state for `vpn`: the documented layout, spelled out here. */
let paths: { state: string; peers: string; lock: string };

beforeEach(async () => {
  ({ ns, clean, key } = await createSeedWithoutState('client', { held: true }));
  paths = {
    state: `${STATE_DIR}/${key}_vpn.json`,
    peers: `${STATE_DIR}/${key}_vpn.peers.json`,
    lock: `${STATE_DIR}/${key}_.lock`, // one lock per namespace
  };
});

const hookEnv = (extra: NodeJS.ProcessEnv) => ({ ...process.env, INTERFACE: 'vpn', NODE: 'server', ...extra });

/** The commands that touch state, in an order that uses every file: up, peers, status, down. */
function lifecycle(): { args: string[]; env?: NodeJS.ProcessEnv }[] {
  return [
    { args: ['up', 'vpn', SERVER, '--netns', ns] },
    { args: ['hook', 'host-up', '--netns', ns], env: hookEnv({ NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' }) },
    { args: ['status', '--netns', ns, '--json'] },
    { args: ['hook', 'host-down', '--netns', ns], env: hookEnv({ NODE: 'peer1' }) },
    { args: ['hook', 'up', '--netns', ns], env: hookEnv({ REMOTEADDRESS: OTHER_SERVER }) },
    { args: ['hook', 'down', '--netns', ns], env: hookEnv({}) },
    { args: ['down', 'vpn', '--netns', ns] },
  ];
}

async function expectOk(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await cli(args, { env, timeoutMs: 15_000 });
  expect(r.timedOut, `${args.join(' ')}: hung`).toBe(false);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function upAndDown(what: string): Promise<void> {
  await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
  expect(await ourRouteLines(ns), `${what}: routes after up`).toEqual(ROUTES);
  await expectOk(['status', 'vpn', '--netns', ns]);
  await expectOk(['down', 'vpn', '--netns', ns]);
  expect(await routeText(ns), `${what}: the table after down`).toBe(clean);
}

/** A file outside the state directory, to be pointed at: its content, mode, inode and times must not change. */
async function outsideFile(dir: string, name: string): Promise<{ path: string; check(): Promise<void> }> {
  const path = join(dir, name);
  await writeFile(path, `precious ${name}\n`, { mode: 0o644 });
  await chmod(path, 0o644);
  const before = await stat(path);
  return {
    path,
    async check() {
      const after = await stat(path);
      expect(await readFile(path, 'utf8'), `${path} content`).toBe(`precious ${name}\n`);
      expect(
        { mode: after.mode, ino: after.ino, size: after.size, mtime: after.mtimeMs, ctime: after.ctimeMs },
        path,
      ).toEqual({
        mode: before.mode,
        ino: before.ino,
        size: before.size,
        mtime: before.mtimeMs,
        ctime: before.ctimeMs,
      });
    },
  };
}

describe('where and how state is written', () => {
  it("names a namespace's files by its cookie: state, peers and lock", async () => {
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    await expectOk(['hook', 'host-up', '--netns', ns], hookEnv({ NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' }));
    expect(await stateFiles(key)).toEqual(
      [paths.lock, paths.peers, paths.state].map((p) => p.slice(STATE_DIR.length + 1)).sort(),
    );
    expect(JSON.parse(await readFile(paths.state, 'utf8'))).toMatchObject({ iface: 'vpn', remote: SERVER });
    await expectOk(['down', 'vpn', '--netns', ns]);
  });

  it('writes only under /run/redirect-gateway, through O_NOFOLLOW opens and renames, never opening a state file for writing', async () => {
    const dir = await tempDir('trace');
    const writes: string[] = [];
    let calls = 0;
    for (const step of lifecycle()) {
      const { exit, calls: traced } = await traceFileCalls(process.execPath, [CLI, ...step.args], {
        env: step.env,
        dir,
      });
      expect(exit.code, `${step.args.join(' ')}: ${exit.stderr}`).toBe(0);
      calls += traced.length;
      for (const c of traced) {
        const inside = (p: string) => p === STATE_DIR || p.startsWith(`${STATE_DIR}/`);
        if (['open', 'openat', 'openat2', 'creat'].includes(c.call)) {
          const path = c.paths[0];
          const writing =
            c.call === 'creat' ||
            c.flags.some((f) => ['O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_TRUNC', 'O_APPEND'].includes(f));
          if (writing) {
            writes.push(c.line);
            expect(inside(path), `opened for writing outside the state directory: ${c.line}`).toBe(true);
            // Only temporary files and lock files are opened for writing: state reaches its name by rename.
            expect(/\.(\d+\.tmp|lock)$/.test(path), `a state file opened for writing: ${c.line}`).toBe(true);
            if (path.endsWith('.tmp'))
              expect(c.flags, c.line).toEqual(expect.arrayContaining(['O_CREAT', 'O_EXCL', 'O_NOFOLLOW']));
          }
          if (path?.startsWith(`${STATE_DIR}/`))
            expect(c.flags, `opened without O_NOFOLLOW: ${c.line}`).toContain('O_NOFOLLOW');
        } else if (
          /^(rename|renameat2?|unlink|unlinkat|rmdir|mkdir|mkdirat|chmod|fchmodat|chown|lchown|fchownat|link|linkat|symlink|symlinkat|truncate|mknod|mknodat|utimensat)$/.test(
            c.call,
          )
        ) {
          writes.push(c.line);
          // The *at calls name a directory descriptor first; every quoted path must be ours.
          for (const p of c.paths) expect(inside(p), `changed outside the state directory: ${c.line}`).toBe(true);
        }
      }
    }
    expect(
      writes.some((w) => /^\d+\s+rename\(.*\.tmp", ".*_vpn\.json"\)/.test(w)),
      'the state file is written by rename',
    ).toBe(true);
    expect(
      writes.some((w) => /^\d+\s+rename\(.*\.tmp", ".*_vpn\.peers\.json"\)/.test(w)),
      'the peers file is written by rename',
    ).toBe(true);
    console.log(
      `state file audit: ${lifecycle().length} commands, ${calls} file system calls traced, ${writes.length} of them changes, all under ${STATE_DIR}`,
    );
    expect(await routeText(ns)).toBe(clean);
  }, 60_000);

  it('makes the directory 0700 and the files 0600, whatever the umask and the mode the directory had', async () => {
    await chmod(STATE_DIR, 0o755);
    // umask 000 would make 0666 files and a 0777 directory of anything not created with an explicit mode.
    const r = await runStatus('sh', [
      '-c',
      'umask 000 && exec "$0" "$@"',
      process.execPath,
      CLI,
      'up',
      'vpn',
      SERVER,
      '--netns',
      ns,
    ]);
    expect(r.code).toBe(0);
    await expectOk(['hook', 'host-up', '--netns', ns], hookEnv({ NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' }));
    const dir = await lstat(STATE_DIR);
    expect(dir.isDirectory()).toBe(true);
    expect(dir.mode & 0o7777).toBe(0o700);
    expect(dir.uid).toBe(0);
    for (const path of [paths.state, paths.peers, paths.lock]) {
      const st = await lstat(path);
      expect(st.isFile(), path).toBe(true);
      expect(st.mode & 0o7777, path).toBe(0o600);
      expect(st.uid, path).toBe(0);
    }
    await expectOk(['down', 'vpn', '--netns', ns]);
    expect(await routeText(ns)).toBe(clean);
  });

  it('is atomic: a reader racing 12 rewrites only ever sees a whole state, the old or the new', async () => {
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    let stop = false;
    const seen = { reads: 0, whole: 0, broken: [] as string[], remotes: new Set<string>() };
    const reader = (async () => {
      while (!stop) {
        const text = await readFile(paths.state, 'utf8').catch((e: NodeJS.ErrnoException) => `<${e.code}>`);
        seen.reads++;
        try {
          const state = JSON.parse(text);
          if (typeof state?.remote !== 'string' || state.iface !== 'vpn') throw new Error('not a state');
          seen.whole++;
          seen.remotes.add(state.remote);
        } catch {
          seen.broken.push(text.slice(0, 200));
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 12; i++) await expectOk(['up', 'vpn', i % 2 ? SERVER : OTHER_SERVER, '--netns', ns]);
    stop = true;
    await reader;
    console.log(`state file atomicity: ${seen.reads} reads during 12 rewrites, ${seen.broken.length} not whole`);
    expect(seen.broken).toEqual([]);
    expect(seen.reads).toBeGreaterThan(100);
    expect([...seen.remotes].sort()).toEqual([SERVER, OTHER_SERVER].sort());
    await expectOk(['down', 'vpn', '--netns', ns]);
    expect(await routeText(ns)).toBe(clean);
  }, 60_000);
});

describe('planted links', () => {
  for (const kind of ['to files outside', 'dangling, to names outside'] as const) {
    it(`at the state, peers and lock files (${kind}): nothing outside is touched, and everything still works`, async () => {
      const outside = await tempDir('outside');
      const targets = {
        state: await outsideFile(outside, 'state-target'),
        peers: await outsideFile(outside, 'peers-target'),
        lock: await outsideFile(outside, 'lock-target'),
      };
      const dangling = {
        state: join(outside, 'made-via-state'),
        peers: join(outside, 'made-via-peers'),
        lock: join(outside, 'made-via-lock'),
      };
      const plant = async () => {
        for (const which of ['state', 'peers', 'lock'] as const) {
          await rm(paths[which], { force: true, recursive: true });
          await symlink(kind === 'to files outside' ? targets[which].path : dangling[which], paths[which]);
        }
      };
      // Before the first up (no state yet), then again in the middle of the lifecycle (while redirected).
      await plant();
      let step = 0;
      for (const { args, env } of lifecycle()) {
        await expectOk(args, env);
        if (step++ === 0) {
          expect(await ourRouteLines(ns)).toEqual(ROUTES);
          await plant();
        }
      }
      expect(await routeText(ns)).toBe(clean);
      for (const target of Object.values(targets)) await target.check();
      for (const path of Object.values(dangling))
        await expect(lstat(path), `${path} was created through a link`).rejects.toThrow(/ENOENT/);
      // The lock's link was replaced by a lock file; state and peers are files of ours or gone.
      expect((await lstat(paths.lock)).isFile()).toBe(true);
      for (const path of [paths.state, paths.peers]) {
        const st = await lstat(path).catch(() => undefined);
        expect(st === undefined || st.isFile(), `${path} is still a link`).toBe(true);
      }
      await upAndDown('after the links');
      for (const target of Object.values(targets)) await target.check();
    }, 60_000);
  }

  it("a link at a hook's intent lock: up works, and the intent is done by the next holder of the lock", async () => {
    const outside = await tempDir('outside');
    const target = await outsideFile(outside, 'target');
    // What a hook records (redirect/intents.ts: `intents/<ns>_<iface>.<seq>.json`) before it gives up, with a link
    // where the lock it held beside it was.
    const intents = `${STATE_DIR}/intents`;
    await mkdir(intents, { recursive: true, mode: 0o700 });
    const intent = `${intents}/${key}_vpn.00000000000000000001-1`;
    await writeFile(`${intent}.json`, JSON.stringify({ change: 'peer', iface: 'vpn', node: 'peer1', address: PEER }), {
      mode: 0o600,
    });
    await symlink(target.path, `${intent}.lock`);
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    expect(await ourRouteLines(ns)).toEqual([...ROUTES, `${PEER} via 192.168.1.1 dev eth0`].sort());
    for (const file of [`${intent}.json`, `${intent}.lock`])
      await expect(lstat(file), `${file} is left`).rejects.toThrow(/ENOENT/);
    await target.check();
    await expectOk(['hook', 'host-down', '--netns', ns], hookEnv({ NODE: 'peer1' }));
    await upAndDown('after the intent');
  });

  it('a link at the repair lock too: up refuses in one line (no lock it can trust), then works once it is gone', async () => {
    const outside = await tempDir('outside');
    const target = await outsideFile(outside, 'target');
    await symlink(target.path, paths.lock);
    // (Only here is a lock file removed: no other test in this sandbox plants anything.)
    await rm(`${STATE_DIR}/repair.lock`, { force: true });
    await symlink(target.path, `${STATE_DIR}/repair.lock`);
    defer(async () => {
      if ((await lstat(`${STATE_DIR}/repair.lock`).catch(() => undefined))?.isSymbolicLink())
        await rm(`${STATE_DIR}/repair.lock`);
    });
    const r = await cli(['up', 'vpn', SERVER, '--netns', ns]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^redirect-gateway: up: \/run\/redirect-gateway\/repair\.lock is not a regular file[^\n]*\n$/,
    );
    expect(await routeText(ns)).toBe(clean);
    await rm(`${STATE_DIR}/repair.lock`);
    await upAndDown('after removing the repair lock link');
    await target.check();
  });
});

describe('garbage where state is kept', () => {
  const prng = new Prng(runSeed());
  const randomBytes = Buffer.from(Array.from({ length: 300 }, () => prng.int(256)));
  const valid = {
    version: 1,
    iface: 'vpn',
    remote: SERVER,
    families: [4],
    gateways: {},
    protocol: 157,
    exceptions: [`${SERVER}/32`],
    uplink: 'eth0',
  };
  const json = (patch: object) => JSON.stringify({ ...valid, ...patch });
  const garbage: [string, string | Buffer | 'fifo' | 'directory'][] = [
    ['an empty file', ''],
    ['random bytes', randomBytes],
    ['a truncated state', JSON.stringify(valid).slice(0, 40)],
    ['null', 'null'],
    ['an array', '[1,2,3]'],
    ['another version', json({ version: 2 })],
    ['another interface', json({ iface: 'tun9' })],
    ['a family that does not exist', json({ families: [5] })],
    ['a server that is no address', json({ remote: 'not-an-address' })],
    ['a gateway that is no string', json({ gateways: { 4: 123 } })],
    ['a protocol out of range', json({ protocol: 1e9 })],
    ['an exception that is no prefix', json({ exceptions: ['junk'] })],
    ['an uplink that is no interface name', json({ uplink: 'a/b' })],
    ['a huge file', `{"version":1,"pad":"${'x'.repeat(3 << 20)}"}`],
    ['a FIFO', 'fifo'],
    ['a directory', 'directory'],
  ];

  async function plantGarbage(path: string, what: string | Buffer | 'fifo' | 'directory'): Promise<void> {
    await rm(path, { force: true, recursive: true });
    if (what === 'fifo') await run('mkfifo', ['-m', '0600', path]);
    else if (what === 'directory') {
      await mkdir(path);
      await writeFile(join(path, 'inside'), 'x');
    } else await writeFile(path, what, { mode: 0o600 });
  }

  /** In process (a hang would show as 'hung'): these are many commands, and no process boundary is at stake. */
  async function ok(args: string[], env: NodeJS.ProcessEnv = {}, code = 0): Promise<void> {
    const r = await runInProcess(args, env);
    expect(r.code, `${args.join(' ')}: ${r.err.join(' ')}`).toBe(code);
  }

  for (const [name, what] of garbage) {
    it(`${name} as the state file, the peers file and (if not a file) the lock file: status, up, down all work`, async () => {
      // Garbage before any up, and garbage in place of the state while redirected.
      await plantGarbage(paths.state, what);
      await plantGarbage(paths.peers, what);
      if (what === 'fifo' || what === 'directory') await plantGarbage(paths.lock, what);
      await ok(['status', '--netns', ns], {}, 3); // not active (exit 3), whatever the garbage
      await ok(['up', 'vpn', SERVER, '--netns', ns]);
      expect(await ourRouteLines(ns)).toEqual(ROUTES);
      await plantGarbage(paths.state, what);
      await plantGarbage(paths.peers, what);
      await ok(['status', 'vpn', '--netns', ns, '--json']);
      // A peer recorded over garbage: the next up (which rewrites the state) gives it its exception route.
      await ok(['hook', 'host-up', '--netns', ns], { INTERFACE: 'vpn', NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' });
      await ok(['up', 'vpn', SERVER, '--netns', ns]);
      expect(await ourRouteLines(ns)).toEqual([...ROUTES, '198.51.100.77 via 192.168.1.1 dev eth0'].sort());
      await ok(['hook', 'host-down', '--netns', ns], { INTERFACE: 'vpn', NODE: 'peer1' });
      expect(await ourRouteLines(ns)).toEqual(ROUTES);
      await plantGarbage(paths.state, what);
      await ok(['down', 'vpn', '--netns', ns]);
      expect(await routeText(ns)).toBe(clean);
      await ok(['up', 'vpn', SERVER, '--netns', ns]);
      expect(await ourRouteLines(ns)).toEqual(ROUTES);
      await ok(['down', 'vpn', '--netns', ns]);
      expect(await routeText(ns)).toBe(clean);
    }, 30_000);
  }

  it('a stale state of another interface (gone without `down`) refuses up, naming it, until it is downed', async () => {
    // As left by a redirect through `gone0`, an interface deleted without `down`.
    await writeFile(`${STATE_DIR}/${key}_gone0.json`, JSON.stringify({ ...valid, iface: 'gone0' }), { mode: 0o600 });
    // status names gone0 (not active, its interface gone: a problem, exit 1) and nothing of ours as its.
    const r = await cli(['status', '--netns', ns, '--json'], { timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject([{ iface: 'gone0', active: false, routes: [] }]);
    const up = await cli(['up', 'vpn', SERVER, '--netns', ns], { timeoutMs: 15_000 });
    expect(up.code).toBe(1);
    expect(up.stderr).toBe(
      "redirect-gateway: up: gone0 has this namespace's redirect, and there is one per namespace: down gone0 first\n",
    );
    expect(await routeText(ns)).toBe(clean);
    await expectOk(['down', 'gone0', '--netns', ns]);
    await upAndDown('after down gone0');
  });
  // A namespace deleted without `down` leaves its files (a crashed container's, say), and the kernel gives a new
  // namespace the inode of one deleted before. Keyed by inode (as they once were), its mesh peers would be
  // applied in the new one: exception routes for peers of a VPN that never ran there, whose traffic then leaves
  // outside the VPN. Keyed by the namespace's cookie, which the kernel never reuses, they are nobody's.
  it('a stale peers file (left by a deleted namespace) adds no exception route', async () => {
    const gone = await createSeedWithoutState('gone');
    await expectOk(['up', 'vpn', SERVER, '--netns', gone.ns]);
    await expectOk(['hook', 'host-up', '--netns', gone.ns], hookEnv({ NODE: 'gone', REMOTEADDRESS: '203.0.113.99' }));
    await run('ip', ['netns', 'delete', gone.ns]);
    expect(await stateFiles(gone.key), 'the deleted namespace left its files').toContain(`${gone.key}_vpn.peers.json`);
    // A new namespace, after the old one went (and perhaps with its inode).
    const fresh = await createSeedWithoutState('new');
    await expectOk(['up', 'vpn', SERVER, '--netns', fresh.ns]);
    expect(await ourRouteLines(fresh.ns)).toEqual(ROUTES);
    await expectOk(['down', 'vpn', '--netns', fresh.ns]);
    expect(await routeText(fresh.ns)).toBe(fresh.clean);
  });
});

describe("one listing of a namespace's records under its lock", () => {
  // Every writer of a record holds the namespace's lock, so the records listed as it is taken are all there are
  // until it is let go: a record that is not there is never opened (each failed open cost an exception).
  it('up, host-up and down open no record that is not there', async () => {
    const dir = await tempDir('trace');
    const missing: string[] = [];
    for (const step of lifecycle().filter((s) => !s.args.includes('status'))) {
      const { exit, calls } = await traceFileCalls(process.execPath, [CLI, ...step.args], { env: step.env, dir });
      expect(exit.code, `${step.args.join(' ')}: ${exit.stderr}`).toBe(0);
      for (const c of calls) {
        const record = c.paths[0]?.startsWith(`${STATE_DIR}/${key}_`) && c.paths[0].endsWith('.json');
        if (/^open/.test(c.call) && record && /= -1 ENOENT/.test(c.line)) missing.push(c.line);
      }
    }
    expect(missing).toEqual([]);
    expect(await routeText(ns)).toBe(clean);
  }, 60_000);
});

describe('leftovers', () => {
  it('temporary files of a killed writer are removed by the next one', async () => {
    await writeFile(`${paths.state}.99999.tmp`, '{"half', { mode: 0o600 });
    await writeFile(`${paths.peers}.99998.tmp`, '[', { mode: 0o600 });
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    await expectOk(['hook', 'host-up', '--netns', ns], hookEnv({ NODE: 'peer1', REMOTEADDRESS: '198.51.100.77' }));
    expect((await stateFiles(key)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expectOk(['down', 'vpn', '--netns', ns]);
    expect(await routeText(ns)).toBe(clean);
  });
});

describe('whose state directory', () => {
  const NOBODY = 65534;

  /**
   * `redirect-gateway ARGS` with a state directory of its own (a tmpfs mounted over it in a mount namespace of
   * its own, so the other test files' state is not disturbed) made with `mode` and owned by `uid`: its exit,
   * and the directory's mode and owner after.
   */
  async function withStateDir(mode: string, uid: number, args: string[]) {
    const script = [
      'mount -t tmpfs -o mode="$1" rg-test-own-state "$3" && chown "$2" "$3" || exit 99',
      'shift 3',
      '"$@"',
      'rc=$?',
      `echo "dir $(stat -c %a:%u ${STATE_DIR})"`,
      'exit $rc',
    ].join('\n');
    const r = await runStatus('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      mode,
      String(uid),
      STATE_DIR,
      process.execPath,
      CLI,
      ...args,
    ]);
    expect(r.code, r.stderr).not.toBe(99);
    return { ...r, dir: /^dir (\S+)$/m.exec(r.stdout)?.[1] };
  }

  for (const [what, mode, uid] of [
    ['world-writable', '0777', 0],
    ['group-writable', '0770', 0],
    ["another user's", '0700', NOBODY],
  ] as const) {
    it(`a state directory that is ${what} is refused in one line and left as it is; nothing changes`, async () => {
      const r = await withStateDir(mode, uid, ['up', 'vpn', SERVER, '--netns', ns]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/\/run\/redirect-gateway .*refusing to keep state there/);
      expect(r.dir).toBe(`${mode.slice(1)}:${uid}`);
      expect(await routeText(ns)).toBe(clean);
    });
  }

  it('0755, ours, is made 0700 and used', async () => {
    const r = await withStateDir('0755', 0, ['up', 'vpn', SERVER, '--netns', ns]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.dir).toBe('700:0');
    await expectOk(['down', 'vpn', '--netns', ns]);
    expect(await routeText(ns)).toBe(clean);
  });

  /** A file planted by another user: nobody's, 0644. */
  async function plant(path: string, text: string): Promise<void> {
    await writeFile(path, text, { mode: 0o644 });
    await chown(path, NOBODY, NOBODY);
  }

  it('a follower file planted by another user, held and naming a root process: down signals nobody, status shows no follower', async () => {
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    const victim = start('sleep', ['60'], { timeoutMs: 60_000 });
    defer(() => victim.child.kill('SIGKILL'));
    const follower = `${STATE_DIR}/${key}_vpn.follower`;
    await plant(follower, `${JSON.stringify({ pid: victim.child.pid })}\n`);
    await holdLock(follower);
    const status = JSON.parse(await expectOk(['status', 'vpn', '--netns', ns, '--json']));
    expect(JSON.stringify(status)).not.toContain(String(victim.child.pid));
    await expectOk(['down', 'vpn', '--netns', ns]);
    const stat = await readFile(`/proc/${victim.child.pid}/stat`, 'utf8');
    expect(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), 'the victim is alive').toBe('S');
    expect(victim.child.signalCode).toBe(null);
    expect(await routeText(ns)).toBe(clean);
  });

  it('a lock file planted by another user and held does not block up: it is replaced', async () => {
    await plant(paths.lock, '');
    await holdLock(paths.lock);
    await upAndDown('past a planted lock');
    expect((await lstat(paths.lock)).uid).toBe(0);
  });

  it('state and peers files planted by another user are not believed', async () => {
    const planted = {
      version: 1,
      iface: 'vpn',
      remote: OTHER_SERVER,
      families: [4],
      gateways: {},
      protocol: 157,
      exceptions: [`${OTHER_SERVER}/32`],
    };
    await plant(paths.state, JSON.stringify(planted));
    await plant(paths.peers, JSON.stringify([{ node: 'peer1', address: '198.51.100.77' }]));
    const status = await cli(['status', 'vpn', '--netns', ns, '--json']);
    expect(status.stdout).not.toContain(OTHER_SERVER);
    await upAndDown('past planted state and peers');
  });

  it('a stray name with a bad %-escape (or a lone surrogate escaped) breaks nothing: up, status, down work', async () => {
    for (const name of [
      `${key}_%ZZ.json`,
      `${key}_%E0%A4%A.json`,
      `${key}_%ED%A0%80.serve.json`,
      `${key}_%.peers.json`,
    ])
      await writeFile(`${STATE_DIR}/${name}`, '{}', { mode: 0o600 });
    await expectOk(['up', 'vpn', SERVER, '--netns', ns]);
    await expectOk(['status', '--netns', ns]);
    await expectOk(['down', 'vpn', '--netns', ns]);
    expect(await routeText(ns)).toBe(clean);
  });

  it('an interface name that cannot name a file (a lone surrogate) is invalid input', async () => {
    await expect(redirect.up('v\uD800', SERVER, { netns: ns })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(redirect.down('v\uDC00', { netns: ns })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
