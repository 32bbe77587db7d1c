// Target 1: an in-process redirect cycle, `redirect.up` + `redirect.down`, against the same route operations
// through execFile('ip') (what a Node program without netlink would do), and the raw-C floor for those
// operations (bench/rawcycle.c). Also single operations, in process, beside pyroute2 and the npm netlink
// package: a route lookup, and an add + delete of one route.
//
// The namespace is a VPN client: uplink up0 (192.168.0.2/24, default via 192.168.0.1) and tun device vpn.
// A cycle: up (an exception route for the server 198.51.100.7 via the original gateway, 0.0.0.0/1 and
// 128.0.0.0/1 through vpn), then down (the three deleted).
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as L from './lib.js';

const execFileP = promisify(execFile);
const cycles = L.smoke ? 20 : 2000;
const warmup = L.smoke ? 5 : 200;
const ipCycles = L.smoke ? 3 : 40;
const REMOTE = '198.51.100.7';

async function timeEach(n, warm, f) {
  for (let i = 0; i < warm; i++) await f();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = L.nowUs();
    await f();
    times.push(L.nowUs() - t);
  }
  times.sort((a, b) => a - b);
  return { medianUs: L.median(times), p90Us: times[Math.floor(times.length * 0.9)] };
}

function child(file, args, env) {
  const result = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '');
}

const { redirect, netlink } = await L.loadPackage();
const ns = L.makeNamespace('cycle');

// Ours: the public API, exactly as a program calls it.
const ours = await timeEach(cycles, warmup, async () => {
  await redirect.up('vpn', REMOTE, { netns: ns });
  await redirect.down('vpn', { netns: ns });
});

// Our netlink layer's share: the cycle's route calls without the rest of the redirect code, with the exact
// lookups src/redirect/observe.ts makes, and with the dumps it made before.
const netlinkDumps = await timeEach(cycles, warmup, () => L.netlinkCycle(netlink, ns, 'dumps'));
const netlinkLookups = await timeEach(cycles, warmup, () => L.netlinkCycle(netlink, ns, 'lookups'));

// The same route operations through iproute2, one process per operation (as the seed's scripts do).
const ip = (...args) => execFileP('ip', ['-n', ns, ...args]);
const viaIp = await timeEach(ipCycles, 2, async () => {
  await ip('route', 'get', REMOTE);
  await ip('route', 'add', `${REMOTE}/32`, 'via', '192.168.0.1', 'dev', 'up0', 'proto', '157');
  await ip('route', 'add', '0.0.0.0/1', 'dev', 'vpn', 'proto', '157');
  await ip('route', 'add', '128.0.0.0/1', 'dev', 'vpn', 'proto', '157');
  await ip('route', 'show', 'proto', '157');
  await ip('route', 'del', '0.0.0.0/1', 'dev', 'vpn', 'proto', '157');
  await ip('route', 'del', '128.0.0.0/1', 'dev', 'vpn', 'proto', '157');
  await ip('route', 'del', `${REMOTE}/32`, 'via', '192.168.0.1', 'dev', 'up0', 'proto', '157');
});

// The raw-C floors (rawcycle.c): the routes' requests alone, and the whole cycle (lookups, refusal rules).
const raw = child(L.compile('rawcycle'), [`/run/netns/${ns}`, String(cycles), String(warmup)]);

// Single operations in process: ours, pyroute2, npm netlink.
const nl = await netlink.open({ netns: ns });
const oursGet = await timeEach(cycles, warmup, () => nl.getRoute(REMOTE));
const oursAddDel = await timeEach(cycles, warmup, async () => {
  await nl.addRoute({ dst: '10.9.0.0/24', dev: 'vpn' });
  await nl.deleteRoute({ dst: '10.9.0.0/24', dev: 'vpn' });
});
nl.close();
const n = String(L.smoke ? 20 : 2000);
const py = child('ip', ['netns', 'exec', ns, L.pyroute2(), join(L.benchDir, 'peers/pyroute2-ops.py'), n]);
const npm = child('ip', ['netns', 'exec', ns, process.execPath, join(L.benchDir, 'peers/netlink-npm-ops.cjs'), n], {
  NODE_PATH: join(L.npmNetlink(), 'node_modules'),
});
L.dropNamespace(ns);

const us = (v) => `${v.toFixed(0)} us`;
console.log(`redirect.up + redirect.down, in process: median ${us(ours.medianUs)} (p90 ${us(ours.p90Us)})`);
console.log(`  its route calls alone, with dumps:    median ${us(netlinkDumps.medianUs)}`);
console.log(`  its route calls alone, exact lookups: median ${us(netlinkLookups.medianUs)}`);
console.log(
  `same operations via execFile('ip'):     median ${us(viaIp.medianUs)} -> ours is ${(viaIp.medianUs / ours.medianUs).toFixed(0)}x faster`,
);
console.log(`raw-C floor, the routes alone:           median ${us(raw.medianUs)}`);
console.log(`raw-C floor, the whole cycle:            median ${us(raw.wholeUs)}`);
console.log(
  `route lookup: ours ${us(oursGet.medianUs)}, pyroute2 ${us(py.getUs)}, npm netlink ${us(npm.getUs)}, raw C ${us(raw.getUs)}`,
);
console.log(
  `add + delete one route: ours ${us(oursAddDel.medianUs)}, pyroute2 ${us(py.addDelUs)}, npm netlink ${us(npm.addDelUs)}, raw C ${us(raw.addDelUs)}`,
);
L.report({
  bench: 'redirect',
  smoke: L.smoke,
  ours,
  viaIp,
  ratio: viaIp.medianUs / ours.medianUs,
  netlinkDumps,
  netlinkLookups,
  raw,
  ops: { ours: { getUs: oursGet.medianUs, addDelUs: oursAddDel.medianUs }, pyroute2: py, npm },
});
