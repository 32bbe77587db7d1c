// Shared pieces of the benchmarks: private network namespaces that are always deleted, a filled routing
// table, the raw-C helpers (compiled here with cc), whole-process timing with peak RSS, and statistics.
//
// Safety: nothing here touches the network namespace the benchmark runs in. Every interface, address and
// route lives in a namespace made here (`ip netns add rgb<pid>-...`), deleted on exit, on error and on
// SIGINT/SIGTERM. Addresses are private or documentation ranges only. The redirect code's lock and state
// files go to a private /run/redirect-gateway (the mount namespace of `inSandbox` below), never the host's.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { capture, loadPackage, nowUs, peakRssMb } from './lib-min.js';
export const benchDir = dirname(fileURLToPath(import.meta.url));

// Every benchmark runs in a mount namespace of its own with tmpfs over /run/redirect-gateway, as test/run does
// for the tests: the state and lock files the redirect code keeps, named by a namespace's cookie, which no
// script here knows, go with the benchmark. Child processes inherit it. The first import re-runs the script.
const SANDBOX = 'REDIRECT_GATEWAY_BENCH_SANDBOX';
if (process.env[SANDBOX] !== '1') {
  mkdirSync('/run/redirect-gateway', { recursive: true, mode: 0o700 });
  const enter = 'mount -t tmpfs -o mode=0700,size=16m rg-bench-state /run/redirect-gateway && exec "$0" "$@"';
  const script = [process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)];
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', enter, ...script], {
    stdio: 'inherit',
    env: { ...process.env, [SANDBOX]: '1' },
  });
  process.exit(run.status ?? 1);
}
export const repoDir = dirname(benchDir);
/** Set by `npm run bench -- --smoke` (bench/run.js): tiny sizes, few repetitions, for CI. */
export const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

// ---- namespaces -------------------------------------------------------------------------------------

const made = new Set();
let counter = 0;

function deleteNamespace(name) {
  // Kill anything left inside (a peer that hung), then delete; never fails.
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  spawnSync('ip', ['netns', 'delete', name]);
  made.delete(name);
}

export function cleanupAll() {
  for (const name of [...made]) deleteNamespace(name);
}

process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  console.error(e);
  cleanupAll();
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  console.error(e);
  cleanupAll();
  process.exit(1);
});

export function ip(ns, ...args) {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
}

/**
 * A new namespace `rgb<pid>-<n>-<label>` with lo up, an uplink veth (up0, 192.168.0.2/24, default route via
 * 192.168.0.1; its peer up1 stays in the namespace without an address) and a tun device `vpn`
 * (172.16.0.2/24), as a VPN client has. Deleted at exit.
 */
export function makeNamespace(label) {
  const name = `rgb${process.pid}-${++counter}-${label}`;
  execFileSync('ip', ['netns', 'add', name]);
  made.add(name);
  ip(name, 'link', 'set', 'lo', 'up');
  ip(name, 'link', 'add', 'name', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
  ip(name, 'address', 'add', '192.168.0.2/24', 'dev', 'up0');
  ip(name, 'link', 'set', 'up0', 'up');
  ip(name, 'link', 'set', 'up1', 'up');
  ip(name, 'route', 'add', 'default', 'via', '192.168.0.1', 'dev', 'up0');
  ip(name, 'tuntap', 'add', 'mode', 'tun', 'name', 'vpn');
  ip(name, 'address', 'add', '172.16.0.2/24', 'dev', 'vpn');
  ip(name, 'link', 'set', 'vpn', 'up');
  return name;
}

export function dropNamespace(name) {
  deleteNamespace(name);
}

/** The i-th of the /28 prefixes of 10.0.0.0/8 (2^20 of them): the "BGP table" of the benchmarks. */
export function prefix28(i) {
  const v = (10 << 24) | (i << 4);
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 240}/28`;
}

/** Four next hops on the uplink's LAN, as a router with a few peers has. */
export const GATEWAYS = ['192.168.0.1', '192.168.0.11', '192.168.0.12', '192.168.0.13'];

export function tableRoute(i) {
  return { dst: prefix28(i), gateway: GATEWAYS[i & 3], dev: 'up0', protocol: 'bgp' };
}

/**
 * Grows the namespace's main table to `total` routes of tableRoute(from .. total-1), with our own batch
 * API (the fastest way we have), in chunks so memory stays small.
 */
export async function fillTable(nl, from, total) {
  const chunk = 50_000;
  for (let start = from; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    const changes = [];
    for (let i = start; i < end; i++) changes.push({ op: 'add', route: tableRoute(i) });
    const results = await nl.changeRoutes(changes);
    const failed = results.find((r) => r.error);
    if (failed) throw failed.error;
  }
}

// ---- compiled helpers ---------------------------------------------------------------------------------

const binDir = join(tmpdir(), `rg-bench-bin-${process.getuid?.() ?? 0}`);

/** Compiles bench/NAME.c into a temporary directory (once per source change) and returns the binary's path. */
export function compile(name) {
  mkdirSync(binDir, { recursive: true });
  const source = join(benchDir, `${name}.c`);
  const binary = join(binDir, name);
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    execFileSync('cc', ['-O2', '-Wall', '-o', binary, source], { stdio: 'inherit' });
  }
  return binary;
}

/**
 * Runs a whole process (stdout to /dev/null) through bench/runstat.c and returns its wall time (ms) and
 * peak RSS (MB), as wait4() reports them. Throws if it fails.
 */
export function runProcess(file, args, options = {}) {
  const runstat = compile('runstat');
  const result = spawnSync(runstat, [file, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 600_000,
  });
  const lines = (result.stderr ?? '').trim().split('\n');
  const m = /^runstat: status (\d+) wall_us (\d+) maxrss_kb (\d+) cpu_us (\d+)$/.exec(lines.at(-1) ?? '');
  if (!m) throw new Error(`${file} ${args.join(' ')}: no runstat line: ${result.stderr} ${result.error ?? ''}`);
  if (m[1] !== '0' && !options.allowFailure) {
    throw new Error(`${file} ${args.join(' ')} exited ${m[1]}: ${lines.slice(-5, -1).join(' | ')}`);
  }
  return { ms: Number(m[2]) / 1000, rssMb: Number(m[3]) / 1024, cpuMs: Number(m[4]) / 1000, status: Number(m[1]) };
}

/** Runs a process in the background and resolves when it exits (for things that must not block the loop). */
export function runAsync(file, args) {
  return new Promise(
    /** @param {(value?: unknown) => void} resolve */ (resolve, reject) => {
      const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
    },
  );
}

// ---- peers --------------------------------------------------------------------------------------------

/** The npm `netlink` package, installed into a temporary directory (never into package.json). */
export function npmNetlink() {
  const dir = join(tmpdir(), 'rg-bench-npm-netlink');
  if (!existsSync(join(dir, 'node_modules', 'netlink', 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, 'netlink@0.3.0'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return dir;
}

/** Debian's python3-pyroute2 with the system python (pyenv's python does not see it). */
export function pyroute2() {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import pyroute2'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    execFileSync('apt-get', ['install', '-y', '-q', 'python3-pyroute2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return python;
}

export function ipVersion() {
  return execFileSync('ip', ['-V'], { encoding: 'utf8' }).trim();
}

// ---- numbers --------------------------------------------------------------------------------------------

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Prints a result line and hands it to bench/run.js (which collects BENCH-JSON lines). */
export function report(result) {
  console.log(`BENCH-JSON ${JSON.stringify(result)}`);
}

export function fmtMs(ms) {
  if (ms === undefined || ms === null) return '-';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} us`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

// ---- the netlink work of a redirect cycle ---------------------------------------------------------------

const SERVER = '198.51.100.7';
const HALVES = ['0.0.0.0/1', '128.0.0.0/1'];

/**
 * The route calls of one redirect.up + redirect.down, without the rest of the redirect code (state file,
 * lock, rules): `lookups` as src/redirect/observe.ts reads (a link by name, findRoutes of the routes we may
 * own), `dumps` as it read before (a link list, a protocol-filtered dump to find our routes).
 */
export async function netlinkCycle(netlink, netns, mode) {
  const protocol = 'redirect-gateway';
  const adds = [
    { op: 'add', route: { dst: `${SERVER}/32`, gateway: '192.168.0.1', dev: 'up0', protocol } },
    ...HALVES.map((dst) => ({ op: 'add', route: { dst, dev: 'vpn', protocol } })),
  ];
  const deletes = [...adds].reverse().map(({ route }) => ({ op: 'delete', route }));
  const owned = (nl) =>
    mode === 'dumps'
      ? nl.listRoutes({ table: 'main', protocol })
      : nl.findRoutes([...HALVES.map((dst) => ({ dst, dev: 'vpn', protocol })), { dst: `${SERVER}/32`, protocol }]);
  let nl = await netlink.open({ netns });
  if (mode === 'dumps') await nl.listLinks();
  else await nl.getLink('vpn');
  await owned(nl);
  await nl.getRoute(SERVER, { fibMatch: true });
  await nl.getRoute(SERVER);
  await nl.changeRoutes(adds);
  nl.close();
  nl = await netlink.open({ netns });
  await owned(nl);
  await nl.changeRoutes(deletes);
  nl.close();
}
