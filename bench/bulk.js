// Target 5: adding 1M routes in bulk (10.0.0.0/8 in /28s via four gateways on up0, proto bgp), each
// contender in a fresh namespace, as a whole process with its peak RSS:
//   ours bulkChange     nl.bulkChange(generator of changes): pipelined chunks, memory bounded by the chunk
//   ours changeRoutes   nl.changeRoutes(array of 1M changes): one call, every change's result
//   iproute2            ip -batch FILE (one `route add ...` line per route)
//   raw C               bench/rawadd.c: prebuilt requests, 512 per send, only the last of each send acked
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from './lib.js';

const count = L.smoke ? 2000 : Number(process.env.BENCH_BULK_ROUTES ?? 1_000_000);

function listed(ns) {
  const out = spawnSync(L.compile('rawdump'), [`/run/netns/${ns}`], { encoding: 'utf8' });
  return Number(out.stdout.trim());
}

function contender(name, run) {
  const ns = L.makeNamespace('bulk');
  try {
    const before = listed(ns); // the namespace's own routes: default, connected
    const result = run(ns);
    const n = listed(ns) - before;
    if (n !== count) throw new Error(`${name}: ${n} routes in the table, expected ${count}`);
    return result;
  } finally {
    L.dropNamespace(ns);
  }
}

const child = join(L.benchDir, 'bulk-child.js');
const ours = contender('bulkChange', (ns) => L.runProcess(process.execPath, [child, ns, String(count), 'bulk']));
const oursArray = contender('changeRoutes', (ns) =>
  L.runProcess(process.execPath, [child, ns, String(count), 'array']),
);
const batchFile = join(tmpdir(), `rg-bench-batch-${process.pid}.txt`);
const lines = [];
for (let i = 0; i < count; i++) {
  const r = L.tableRoute(i);
  lines.push(`route add ${r.dst} via ${r.gateway} dev up0 proto bgp`);
}
writeFileSync(batchFile, `${lines.join('\n')}\n`);
lines.length = 0;
let ipBatch;
try {
  ipBatch = contender('ip -batch', (ns) => L.runProcess('ip', ['-n', ns, '-batch', batchFile]));
} finally {
  rmSync(batchFile, { force: true });
}
const raw = contender('raw C', (ns) => {
  const index = L.capture(/^(\d+):/, L.ip(ns, '-o', 'link', 'show', 'up0'));
  return L.runProcess(L.compile('rawadd'), [`/run/netns/${ns}`, 'add', String(count), index, '512', 'lastack']);
});

const f = (r) => `${L.fmtMs(r.ms)}, peak RSS ${r.rssMb.toFixed(0)} MB`;
console.log(`adding ${count} routes, whole processes:`);
console.log(`  ours bulkChange (stream)  ${f(ours)}  -> ${(ipBatch.ms / ours.ms).toFixed(1)}x faster than ip -batch`);
console.log(`  ours changeRoutes (array) ${f(oursArray)}`);
console.log(`  ip -batch                 ${f(ipBatch)}`);
console.log(`  raw C (floor)             ${f(raw)}`);
L.report({ bench: 'bulk', smoke: L.smoke, count, ours, oursArray, ipBatch, raw, ratio: ipBatch.ms / ours.ms });
