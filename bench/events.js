// Change events under a flood: another process (`ip -batch`) adds N /32 routes through the uplink up0 and
// deletes them again, with one interesting route through the tun device vpn in the middle of each half, while
// a consumer (bench/events-child.js, a process of its own so that process.cpuUsage() is its CPU alone, the
// addon's reader thread included) runs watch():
//   all        no filter: every route event of the flood reaches JS
//   kernel     keepRoutesFor({ dev: 'vpn' }): the kernel drops the flood before it reaches the socket
//   idle       { family: 6 }: not joined to the IPv4 route group, the flood never reaches the process; its
//              CPU is the floor (a Node process waiting for as long, the probes at the end)
// Measured per round: events delivered to JS and their rate, the consumer's CPU time per 10k kernel events,
// overruns. The rounds alternate the two, in one namespace of their own.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import * as L from './lib.js';

const count = L.smoke ? 500 : Number(process.env.BENCH_EVENTS_ROUTES ?? 20_000);
const rounds = L.smoke ? 1 : 3;
const INTERESTING = '198.51.100.200/32';
// Added and deleted again until the consumer has seen it: after an overrun the kernel may drop notifications
// without saying so until the consumer has caught up, so one route could be lost. IPv6, which every consumer
// sees.
const SENTINEL = 'fd00::201/128';
const kernelEvents = 2 * count + 2;

function floodRoute(i) {
  return `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
}

function batchFile() {
  const path = join(tmpdir(), `rg-bench-events-${process.pid}.txt`);
  const half = count >> 1;
  const lines = [];
  for (const op of ['add', 'del']) {
    for (let i = 0; i < count; i++) {
      if (i === half) lines.push(`route ${op} ${INTERESTING} dev vpn`);
      lines.push(`route ${op} ${floodRoute(i)} dev up0`);
    }
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** A consumer started and ready (watching), its output lines to read from. */
async function startConsumer(ns, mode) {
  const child = spawn(process.execPath, [join(L.benchDir, 'events-child.js'), ns, mode, INTERESTING, SENTINEL], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error(`events-child.js ${mode}: ${first.value ?? 'no output'}`);
  return lines;
}

async function round(ns, file, mode) {
  const lines = await startConsumer(ns, mode);
  const result = lines.next();
  let done = false;
  result.finally(() => (done = true));
  const startUs = L.nowUs();
  await L.runAsync('ip', ['-n', ns, '-batch', file]);
  const floodUs = L.nowUs() - startUs;
  for (let probe = 0; !done; probe++) {
    if (probe === 100) throw new Error(`events-child.js ${mode}: no sentinel seen in 10 s`);
    L.ip(ns, '-6', 'route', 'add', SENTINEL, 'dev', 'vpn');
    L.ip(ns, '-6', 'route', 'del', SENTINEL, 'dev', 'vpn');
    await Promise.race([result, sleep(100)]);
  }
  const { value } = await result;
  const r = JSON.parse(value);
  const deliveredSeconds = Math.max(r.lastFloodUs - startUs, floodUs) / 1e6;
  return {
    floodMs: floodUs / 1000,
    delivered: r.delivered,
    perSecond: r.delivered / deliveredSeconds,
    cpuMsPer10k: r.cpuUs / 1000 / (kernelEvents / 10_000),
    sysMsPer10k: r.sysUs / 1000 / (kernelEvents / 10_000),
    overruns: r.overruns,
    interesting: r.interesting,
  };
}

const ns = L.makeNamespace('events');
const file = batchFile();
const runs = { all: [], kernel: [], idle: [] };
try {
  for (let i = 0; i < rounds; i++) {
    for (const mode of Object.keys(runs)) runs[mode].push(await round(ns, file, mode));
  }
} finally {
  rmSync(file, { force: true });
  L.dropNamespace(ns);
}

function summary(list) {
  const pick = (key) => L.median(list.map((r) => r[key]));
  return {
    floodMs: pick('floodMs'),
    delivered: pick('delivered'),
    perSecond: pick('perSecond'),
    cpuMsPer10k: pick('cpuMsPer10k'),
    sysMsPer10k: pick('sysMsPer10k'),
    overruns: list.reduce((sum, r) => sum + r.overruns, 0),
    interesting: list.map((r) => r.interesting),
  };
}
const all = summary(runs.all);
const kernel = summary(runs.kernel);
const idle = summary(runs.idle);
if (kernel.delivered !== 2 || kernel.interesting.some((n) => n !== 2))
  throw new Error(`kernel: expected the interesting route's 2 events in every round: ${JSON.stringify(runs)}`);
const f = (s) =>
  `${s.delivered} delivered (${s.perSecond.toFixed(0)}/s), CPU ${s.cpuMsPer10k.toFixed(2)} ms (sys ${s.sysMsPer10k.toFixed(2)}) per 10k kernel events, ${s.overruns} overruns`;
console.log(`${kernelEvents} route events per round (ip -batch ${L.fmtMs(all.floodMs)}), medians of ${rounds}:`);
console.log(`  watch() no filter        ${f(all)}`);
console.log(`  keepRoutesFor({ dev })   ${f(kernel)}`);
console.log(`  watch({ family: 6 })     ${f(idle)} (the floor: no IPv4 route reaches the process)`);
console.log(
  `  -> over the floor, the filtered consumer spends ${(kernel.cpuMsPer10k - idle.cpuMsPer10k).toFixed(2)} ms per 10k, the unfiltered ${(all.cpuMsPer10k - idle.cpuMsPer10k).toFixed(2)} ms`,
);
L.report({ bench: 'events', smoke: L.smoke, count, kernelEvents, rounds, all, kernel, idle });
