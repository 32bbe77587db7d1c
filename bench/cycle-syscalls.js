// The in-process redirect cycle (`redirect.up` + `redirect.down` on a socket per call, as bench/redirect.js times
// it) beside the raw-C floors (rawcycle.c: the routes alone, and the whole cycle with the link and flow
// lookups and the refusal rules) in the same run, alternating, and its system calls per cycle: N cycles under
// `strace -c -f` minus the same process with none, divided by N. Not part of `npm run bench` (strace is no peer).
// Given other builds of the package (a copy of an older dist/ beside its build/), it measures each of them
// too, alternating, so that a change is measured before and after in one run.
//
//   node bench/cycle-syscalls.js [CYCLES] [DIST_INDEX_JS...]      (root: it makes a namespace)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as L from './lib.js';

const REMOTE = '198.51.100.7';

async function cycle(redirect, ns) {
  await redirect.up('vpn', REMOTE, { netns: ns });
  await redirect.down('vpn', { netns: ns });
}

if (process.argv[2] === '--child') {
  const [index, ns, n] = process.argv.slice(3);
  const { redirect } = await import(index);
  for (let i = 0; i < Number(n); i++) await cycle(redirect, ns);
  process.exit(0);
}

/** System calls of `cycles` cycles in a child under strace -c -f: name -> calls. */
function straceCounts(index, ns, cycles) {
  const args = ['-c', '-f', '-U', 'name,calls', process.execPath, join(L.benchDir, 'cycle-syscalls.js')];
  const out = spawnSync('strace', [...args, '--child', index, ns, String(cycles)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`strace: ${out.stderr}`);
  const counts = new Map();
  for (const line of out.stderr.split('\n')) {
    const m = /^\s*([a-z_0-9]+)\s+(\d+)\s*$/.exec(line);
    if (m && m[1] !== 'total') counts.set(m[1], Number(m[2]));
  }
  return counts;
}

function perCycle(index, ns, n) {
  const base = straceCounts(index, ns, 0);
  const full = straceCounts(index, ns, n);
  return [...full]
    .map(([name, calls]) => [name, (calls - (base.get(name) ?? 0)) / n])
    .filter(([name, c]) => c >= 0.5 && name !== 'futex')
    .sort((a, b) => b[1] - a[1]);
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const [cyclesArg, ...others] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cycles = Number(cyclesArg ?? (L.smoke ? 100 : 2000));
const indexes = [join(L.repoDir, 'dist/index.js'), ...others];
const builds = await Promise.all(indexes.map(async (index) => ({ index, ...(await import(index)), times: [] })));
const ns = L.makeNamespace('syscalls');
const loadStart = load();
for (const b of builds) for (let i = 0; i < 200; i++) await cycle(b.redirect, ns);
const rawcycle = L.compile('rawcycle');
/** @type {{ routes: number[], whole: number[] }} */
const floors = { routes: [], whole: [] };
// Alternating rounds of 100, so that the machine's load falls on each build and the floors alike.
for (let round = 0; round < cycles / 100; round++) {
  const raw = JSON.parse(spawnSync(rawcycle, [`/run/netns/${ns}`, '100', '20'], { encoding: 'utf8' }).stdout);
  floors.routes.push(raw.medianUs);
  floors.whole.push(raw.wholeUs);
  for (const b of builds) {
    for (let i = 0; i < 100; i++) {
      const t = L.nowUs();
      await cycle(b.redirect, ns);
      b.times.push(L.nowUs() - t);
    }
  }
}
const raw = { routesUs: L.median(floors.routes), wholeUs: L.median(floors.whole) };
const loadEnd = load();
const results = builds.map((b) => ({
  index: b.index,
  medianUs: L.median(b.times),
  syscalls: Object.fromEntries(perCycle(b.index, ns, L.smoke ? 20 : 500)),
}));
L.dropNamespace(ns);
console.log(
  `raw-C floors (medians of rounds): routes ${raw.routesUs.toFixed(0)} us, whole ${raw.wholeUs.toFixed(0)} us; ` +
    `load average ${loadStart} -> ${loadEnd}`,
);
for (const r of results) {
  const times = (floor) => `${(r.medianUs / floor).toFixed(1)}x`;
  console.log(
    `${r.index}: cycle median ${r.medianUs.toFixed(0)} us, ${times(raw.wholeUs)} the whole floor, ` +
      `${times(raw.routesUs)} the routes floor`,
  );
  console.log(
    `  system calls per cycle: ${Object.entries(r.syscalls)
      .map(([k, v]) => `${k} ${+v.toFixed(1)}`)
      .join(', ')}`,
  );
}
L.report({ bench: 'cycle-syscalls', smoke: L.smoke, raw, load: [loadStart, loadEnd], results });
