// `redirect-gateway routes -4` (text and --json) on a large table against `ip route show` and `ip -j route show`,
// whole processes, output to /dev/null, alternating, for the current dist/ and any other builds given (a copy of
// an older dist/ beside its build/): a change measured before and after in one run. Medians of wall time and of
// CPU time (user + system). Not part of `npm run bench`: bench/listing.js records the listing at three sizes.
//
//   node bench/listing-cli.js [ROUTES] [RUNS] [DIST_CLI_MAIN_JS...]      (root: it makes a namespace)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as L from './lib.js';

const [routesArg, runsArg, ...others] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const routes = Number(routesArg ?? (L.smoke ? 1000 : 300_000));
const runs = Number(runsArg ?? (L.smoke ? 1 : 7));
const mains = [join(L.repoDir, 'dist/cli/main.js'), ...others];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

const { netlink } = await L.loadPackage();
const ns = L.makeNamespace('listing-cli');
const nl = await netlink.open({ netns: ns });
await L.fillTable(nl, 0, routes);
nl.close();

/** @type {Map<string, [string, string[]]>} */
const commands = new Map();
commands.set('ip route show', ['ip', ['-n', ns, 'route', 'show']]);
commands.set('ip -j route show', ['ip', ['-n', ns, '-j', 'route', 'show']]);
for (const m of mains) {
  commands.set(`${m} routes -4`, [process.execPath, [m, 'routes', '-4', '--netns', ns]]);
  commands.set(`${m} routes -4 --json`, [process.execPath, [m, 'routes', '-4', '--json', '--netns', ns]]);
}
/** @type {Map<string, { ms: number[], cpuMs: number[] }>} */
const samples = new Map();
for (const name of commands.keys()) samples.set(name, { ms: [], cpuMs: [] });
const loadStart = load();
for (let i = 0; i < runs + 1; i++) {
  for (const [name, [file, args]] of commands) {
    const r = L.runProcess(file, args);
    const s = samples.get(name);
    if (i === 0 || !s) continue; // warm-up
    s.ms.push(r.ms);
    s.cpuMs.push(r.cpuMs);
  }
}
L.dropNamespace(ns);
const medians = [...samples].map(([name, s]) => ({ name, ms: L.median(s.ms), cpuMs: L.median(s.cpuMs) }));
console.log(`${routes} routes, medians of ${runs}, alternating; load average ${loadStart} -> ${load()}`);
for (const m of medians) console.log(`  ${m.name}: ${L.fmtMs(m.ms)}, CPU ${L.fmtMs(m.cpuMs)}`);
L.report({ bench: 'listing-cli', smoke: L.smoke, routes, runs, load: [loadStart, load()], medians });
