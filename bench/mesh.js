// A mesh joining (install-hook --mesh): N host-up events run one after another as tincd runs them
// (bench/hostup.c: system() of the written script, in the client's namespace), then N host-down:
//   hook time     the scripts' run times summed: what tincd spends forwarding nothing
//   table right   from the first event until our exception routes are exactly the server's and the N peers'
//                 (polled through our own socket from outside)
// With the follower the scripts hand each peer to it (shell builtins); without one (ended after SERVER-up: the
// scripts' fallback, and every --mesh script before --mesh implied the follower) each event is a Node process
// (`hook host-up`): measured for N = 10 and 100, extrapolated to 1000.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as L from './lib.js';

const SERVER = '198.51.100.10';
const sizes = L.smoke ? [10] : (process.env.BENCH_MESH_SIZES ?? '10,100,1000').split(',').map(Number);
const todaySizes = L.smoke ? [10] : sizes.filter((n) => n <= 100);
const CLI = join(L.repoDir, 'dist', 'cli', 'main.js');
const hostup = L.compile('hostup');
const { netlink, redirect } = await import(join(L.repoDir, 'dist', 'index.js'));

/** A client namespace with the redirect up as SERVER-up made it (and, with follow, its follower running). */
/** A follower ended (SIGTERM), and gone. */
async function ended(pid) {
  process.kill(pid, 'SIGTERM');
  while (existsSync(`/proc/${pid}`)) await sleep(5);
}

async function client(follow) {
  const ns = L.makeNamespace(follow ? 'mesh-follow' : 'mesh');
  const confbase = mkdtempSync(join(tmpdir(), 'rg-bench-mesh-'));
  mkdirSync(join(confbase, 'hosts'));
  writeFileSync(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
  writeFileSync(join(confbase, 'hosts', 'server'), `Address = ${SERVER}\nSubnet = 0.0.0.0/0\n`);
  execFileSync(process.execPath, [CLI, 'install-hook', '--node', 'server', '--confbase', confbase, '--mesh']);
  execFileSync('ip', ['netns', 'exec', ns, '/bin/sh', '-c', join(confbase, 'hosts', 'server-up')], {
    env: { PATH: process.env.PATH, INTERFACE: 'vpn', NODE: 'server', REMOTEADDRESS: SERVER },
    stdio: 'ignore',
  });
  const dir = `/run/redirect-gateway/mesh/${encodeURIComponent(resolve(confbase))}`;
  while (!existsSync(join(dir, 'follower'))) await sleep(5);
  const started = Number(readFileSync(join(dir, 'follower'), 'utf8').split(' ')[0]);
  if (!follow) await ended(started);
  const follower = follow ? started : undefined;
  const nl = await netlink.open({ netns: ns });
  return {
    ns,
    nl,
    confbase,
    follower,
    async close() {
      nl.close();
      if (follower) await ended(follower);
      await redirect.down('vpn', { netns: ns });
      rmSync(dir, { recursive: true, force: true });
      rmSync(confbase, { recursive: true, force: true });
      L.dropNamespace(ns);
    },
  };
}

/** Our exception routes to peers (10/8). */
async function peerRoutes(nl) {
  const routes = await nl.listRoutes({ family: 4, protocol: 157 });
  return routes.filter((r) => r.dst.startsWith('10.')).length;
}

/** A process's CPU time so far (utime + stime, ms), from /proc. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ
}

/** N events of `script`, then the time until `wanted` peer routes are there. */
async function events(c, script, n, wanted) {
  const cpuBefore = c.follower ? cpuMs(c.follower) : 0;
  const out = execFileSync('ip', ['netns', 'exec', c.ns, hostup, join(c.confbase, script), 'vpn', String(n)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const m = /^hostup: start_us (\d+) end_us (\d+) max_us (\d+)$/m.exec(out);
  if (!m) throw new Error(`hostup printed ${out}`);
  const [startUs, endUs, maxUs] = m.slice(1).map(Number);
  while ((await peerRoutes(c.nl)) !== wanted) await sleep(1);
  const rightUs = L.nowUs();
  return {
    ...(c.follower ? { followerCpuMs: cpuMs(c.follower) - cpuBefore } : {}),
    hookMs: (endUs - startUs) / 1000,
    perEventMs: (endUs - startUs) / 1000 / n,
    maxMs: maxUs / 1000,
    rightMs: (rightUs - startUs) / 1000,
  };
}

async function measure(follow, n) {
  const c = await client(follow);
  try {
    const up = await events(c, 'host-up', n, n);
    const down = await events(c, 'host-down', n, 0);
    const row = { mode: follow ? 'handoff' : 'today', n, up, down };
    const f = (e) =>
      `hook ${L.fmtMs(e.hookMs)} (${L.fmtMs(e.perEventMs)}/event, max ${L.fmtMs(e.maxMs)}), table right ${L.fmtMs(e.rightMs)}${e.followerCpuMs === undefined ? '' : `, the follower's CPU ${L.fmtMs(e.followerCpuMs)}`}`;
    console.log(`${row.mode.padEnd(7)} N=${String(n).padStart(4)}  up: ${f(up)}; down: ${f(down)}`);
    return row;
  } finally {
    await c.close();
  }
}

/** tincd's floor: an empty host script (`#!/bin/sh` and `exit 0`) run the same way, N times. */
function floor(n) {
  const dir = mkdtempSync(join(tmpdir(), 'rg-bench-mesh-floor-'));
  try {
    writeFileSync(join(dir, 'host-up'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const out = execFileSync(hostup, [join(dir, 'host-up'), 'vpn', String(n)], { encoding: 'utf8' });
    const [startUs, endUs] = (/start_us (\d+) end_us (\d+)/.exec(out) ?? []).slice(1).map(Number);
    const perEventMs = (endUs - startUs) / 1000 / n;
    console.log(`floor   N=${String(n).padStart(4)}  an empty script: ${L.fmtMs(perEventMs)}/event`);
    return { n, perEventMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
const floors = sizes.map(floor);
for (const n of sizes) rows.push(await measure(true, n));
for (const n of todaySizes) rows.push(await measure(false, n));
const today = rows.filter((r) => r.mode === 'today').at(-1);
const extrapolated = today && {
  n: 1000,
  fromN: today.n,
  upHookMs: today.up.perEventMs * 1000,
  downHookMs: today.down.perEventMs * 1000,
};
if (extrapolated) {
  console.log(
    `today   N=1000  extrapolated from N=${today.n}: up ${L.fmtMs(extrapolated.upHookMs)}, down ${L.fmtMs(extrapolated.downHookMs)}`,
  );
}
L.report({ rows, floors, extrapolated });
