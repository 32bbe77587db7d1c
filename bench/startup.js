// The hook's start-up, before and after a change in one run: `redirect-gateway hook up` (then `down`, untimed)
// as whole processes beside `node -e 0`, alternating, for the current dist/ and any other builds given (a copy
// of an older dist/ beside its build/). Medians of wall time and of CPU time (user + system: it moves less with
// the load of other work on the machine). Not part of `npm run bench`: bench/cli.js records the CLI's figures.
//
//   node bench/startup.js [RUNS] [DIST_CLI_MAIN_JS...]      (root: it makes a namespace)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as L from './lib.js';

const [runsArg, ...others] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const runs = Number(runsArg ?? (L.smoke ? 3 : 40));
const mains = [join(L.repoDir, 'dist/cli/main.js'), ...others];
const hookEnv = { ...process.env, INTERFACE: 'vpn', REMOTEADDRESS: '198.51.100.7' };
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const ns = L.makeNamespace('startup');
/** @type {Map<string, { ms: number[], cpuMs: number[] }>} */
const samples = new Map();
for (const name of ['node -e 0', ...mains]) samples.set(name, { ms: [], cpuMs: [] });
const loadStart = load();
for (let i = 0; i < runs + 2; i++) {
  for (const [name, s] of samples) {
    const r =
      name === 'node -e 0'
        ? L.runProcess(process.execPath, ['-e', '0'])
        : L.runProcess(process.execPath, [name, 'hook', 'up', '--netns', ns], { env: hookEnv });
    if (name !== 'node -e 0') L.runProcess(process.execPath, [name, 'down', 'vpn', '--netns', ns]);
    if (i < 2) continue; // warm-up: page cache
    s.ms.push(r.ms);
    s.cpuMs.push(r.cpuMs);
  }
}
L.dropNamespace(ns);
const medians = [...samples].map(([name, s]) => ({ name, ms: L.median(s.ms), cpuMs: L.median(s.cpuMs) }));
const [node] = medians;
const signed = (ms) => (ms < 0 ? `-${L.fmtMs(-ms)}` : `+${L.fmtMs(ms)}`);
console.log(`medians of ${runs}, alternating; load average ${loadStart} -> ${load()}`);
for (const m of medians) {
  const over = m === node ? '' : ` (${signed(m.ms - node.ms)} wall, ${signed(m.cpuMs - node.cpuMs)} CPU)`;
  console.log(
    `  ${m.name === 'node -e 0' ? m.name : `${m.name} hook up`}: ${L.fmtMs(m.ms)}, CPU ${L.fmtMs(m.cpuMs)}${over}`,
  );
}
L.report({ bench: 'startup', smoke: L.smoke, runs, load: [loadStart, load()], medians });
