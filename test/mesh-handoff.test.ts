// install-hook --mesh --follow: host-up/host-down hand each peer to the follower with shell builtins (tincd
// forwards nothing while a host script runs), and the follower makes the exception routes. Run as tincd runs
// them (`sh -c PATH` in the client's namespace, with tincd's variables); the oracle is `ip -j route`, the
// processes started are strace's (execve).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { cli } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { ipJson } from './support/ip.js';
import { tempDir } from './support/package.js';
import { createSeedWithoutState, SERVER, type Seed } from './support/seed.js';
import { STATE_DIR } from './support/state.js';
import { waitUntil } from './support/tinc.js';

const PEERS = 40;
const peer = (i: number) => ({ NODE: `peer${i}`, REMOTEADDRESS: `203.0.113.${i}` });

let seed: Seed;
let confbase: string;
let dir: string;

beforeEach(async () => {
  ({ seed } = await createSeedWithoutState('mesh'));
  confbase = await tempDir('tinc');
  dir = `${STATE_DIR}/mesh/${encodeURIComponent(resolve(confbase))}`;
  defer(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(confbase, 'hosts'));
  await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  await writeFile(join(confbase, 'hosts', 'server'), 'Address = 198.51.100.10\nSubnet = 0.0.0.0/0\n');
  const r = await cli(['install-hook', '--node', 'server', '--confbase', confbase, '--mesh', '--follow']);
  expect(r.code, r.stderr).toBe(0);
});

/** A script run as tincd runs it; with `trace`, under strace: the programs it executed, in order. */
async function runScript(script: string, env: Record<string, string>, trace = false) {
  const log = join(confbase, 'execve.log');
  const sh = ['/bin/sh', '-c', join(confbase, script)];
  const command = trace ? ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, ...sh] : sh;
  const r = await runStatus('ip', ['netns', 'exec', seed.ns, ...command], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NETNAME: '', NAME: 'client', INTERFACE: seed.vpn, ...env },
  });
  expect(r.code, r.stderr).toBe(0);
  if (!trace) return [];
  const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => /execve\(/.test(l) && !/ = -1 /.test(l));
  return lines.map((l) => /execve\("([^"]+)"/.exec(l)![1]);
}

/** The /32 exception routes of ours in the client's main table (ip's view). */
async function exceptions(): Promise<string[]> {
  const routes = await ipJson<{ dst: string }[]>(seed.ns, '-4', 'route', 'show', 'proto', '157');
  return routes
    .map((r) => r.dst)
    .filter((d) => /^\d+\.\d+\.\d+\.\d+$/.test(d))
    .sort();
}

const sorted = (addresses: string[]) => [...addresses].sort();

async function waitForExceptions(wanted: string[]): Promise<void> {
  let seen: string[] = [];
  await waitUntil(
    async () => JSON.stringify((seen = await exceptions())) === JSON.stringify(sorted(wanted)),
    20_000,
    () => `exceptions ${JSON.stringify(seen)}, wanted ${JSON.stringify(sorted(wanted))}`,
  );
}

/**
 * Brings the redirect up as tincd would (SERVER-up: `hook up --follow --handoff`), and waits for its follower's
 * pid file (another than `previous`'s).
 */
async function serverUp(previous = 0): Promise<number> {
  await runScript('hosts/server-up', { NODE: 'server', REMOTEADDRESS: SERVER });
  let pid = 0;
  await waitUntil(
    async () => {
      pid = Number((await readFile(join(dir, 'follower'), 'utf8').catch(() => '0')).split(' ')[0]);
      return pid > 0 && pid !== previous;
    },
    20_000,
    () => `no follower wrote ${dir}/follower`,
  );
  return pid;
}

/** Kills the follower, and waits until the kernel took its lock (it is gone, or a zombie). */
async function kill(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitUntil(
    () =>
      readFile(`/proc/${pid}/stat`, 'utf8').then(
        (stat) => / Z /.test(stat),
        () => true,
      ),
    20_000,
    () => `${pid} still runs`,
  );
}

describe('install-hook --mesh --follow', () => {
  it('hands peers over without running a program, and the follower makes and removes their routes', async () => {
    await serverUp();
    for (let i = 1; i <= PEERS; i++) {
      const executed = await runScript('host-up', peer(i), i <= 3);
      if (i <= 3) expect(executed).toEqual(['/bin/sh', join(confbase, 'host-up')]); // sh, and sh runs the script
    }
    const all = Array.from({ length: PEERS }, (_, i) => peer(i + 1).REMOTEADDRESS);
    await waitForExceptions([SERVER, ...all]);
    expect(await runScript('host-down', peer(1), true)).toEqual(['/bin/sh', join(confbase, 'host-down')]);
    for (let i = 2; i <= PEERS / 2; i++) await runScript('host-down', peer(i));
    await waitForExceptions([SERVER, ...all.slice(PEERS / 2)]);
  });

  it('the latest event of a node wins: up then down at once, and down then up', async () => {
    await serverUp();
    await runScript('host-up', peer(1));
    await runScript('host-down', peer(1));
    await runScript('host-down', peer(2));
    await runScript('host-up', peer(2));
    await runScript('host-up', { NODE: 'peer3', REMOTEADDRESS: '203.0.113.99' });
    await runScript('host-up', peer(3)); // moved: its new address only
    await waitForExceptions([SERVER, peer(2).REMOTEADDRESS, peer(3).REMOTEADDRESS]);
  });

  it('what was handed to a follower killed before it took it in, the next follower takes in at start', async () => {
    const pid = await serverUp();
    process.kill(pid, 'SIGSTOP');
    for (let i = 1; i <= 5; i++) expect(await runScript('host-up', peer(i), i === 1)).not.toContain(process.execPath);
    await kill(pid);
    expect(await exceptions()).toEqual([SERVER]);
    await serverUp(pid);
    await waitForExceptions([SERVER, ...[1, 2, 3, 4, 5].map((i) => peer(i).REMOTEADDRESS)]);
  });

  it('writes the handoff scripts and passes the directory to SERVER-up; refuses a directory elsewhere', async () => {
    expect(await readFile(join(confbase, 'hosts', 'server-up'), 'utf8')).toMatch(
      new RegExp(`'hook' 'up' '--follow' '--handoff' '${dir.replace(/[%.]/g, '\\$&')}'\n$`),
    );
    for (const script of ['host-up', 'host-down']) {
      const content = await readFile(join(confbase, script), 'utf8');
      expect(content).toMatch(new RegExp(`\nevent='${script}'\nfallback\\(\\) \\{ exec .* 'hook' "\\$event"; \\}\n`));
      const checked = await runStatus('shellcheck', ['--severity=style', join(confbase, script)]);
      expect(checked.code, checked.stdout).toBe(0);
    }
    const elsewhere = await cli(['follow', seed.vpn, '--handoff', confbase]);
    expect([elsewhere.code, elsewhere.stderr]).toEqual([
      2,
      expect.stringMatching(/must be an entry of \/run\/redirect-gateway\/mesh/),
    ]);
    const notUp = await cli(['hook', 'host-up', '--handoff', dir], { env: { INTERFACE: seed.vpn, NODE: 'a' } });
    expect([notUp.code, notUp.stderr]).toEqual([2, expect.stringMatching(/--handoff is for up --follow/)]);
    const removed = await cli(['uninstall-hook', '--node', 'server', '--confbase', confbase]);
    expect(removed.stdout).toMatch(/removed .*host-up\n.*host-down/);
  });

  it('without a follower, host-up and host-down run `hook host-up`/`host-down`: done when they return', async () => {
    const pid = await serverUp();
    await kill(pid); // its file stays: a dead pid
    expect(await runScript('host-up', peer(7), true)).toContain(process.execPath);
    expect(await exceptions()).toEqual(sorted([SERVER, peer(7).REMOTEADDRESS]));
    expect(await runScript('host-down', peer(7), true)).toContain(process.execPath);
    expect(await exceptions()).toEqual([SERVER]);
    // The directory holds the latest event either way: a follower started now keeps peer7 away.
    expect(await readFile(join(dir, 'peer-peer7'), 'utf8')).toBe('down\n');
  });
});
