// Where the in-process redirect cycle's time goes (issue 12 §3): `redirect.up` + `redirect.down` through the API
// on one socket (`{ socket }`) and with a new socket per call (`{ netns }`), under V8's sampling profiler, each
// sample's self time put in one bucket by the function it was taken in. Printed per cycle, in microseconds.
//
//   node bench/cycle-profile.js [cycles]      (root: it makes a namespace; not part of `npm run bench`)
import { Session } from 'node:inspector/promises';
import * as L from './lib.js';

const cycles = Number(process.argv[2] ?? 3000);
const REMOTE = '198.51.100.7';

/** The bucket of a sampled frame: what kind of work the time was spent on. */
function bucket({ functionName, url }) {
  if (/\/netlink\/host\.js$/.test(url)) return 'lock (flock system calls)';
  if (/\/netlink\//.test(url)) return 'netlink: the addon, its system calls and the kernel, JS glue';
  if (/\/redirect\/(state|lock|follower-file)\.js$/.test(url)) return 'state and lock files: JS';
  if (url.startsWith('node:fs') || url.startsWith('node:internal/fs') || (!url && /^[a-z]/.test(functionName)))
    return 'state and lock files: system calls (open, read, rename, readdir, mkdir, unlink)';
  if (/\/(redirect|address|names|errors)[/.]/.test(url)) return 'planning and validation (src/redirect, address)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle (waiting for a CPU or the kernel)';
  return 'the runtime: promises, microtasks, other';
}

async function profile(session, work) {
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  const start = L.nowUs();
  for (let i = 0; i < cycles; i++) await work();
  const wallUs = (L.nowUs() - start) / cycles;
  const { profile: p } = await session.post('Profiler.stop');
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map();
  p.samples.forEach((id, i) => {
    const name = bucket(byId.get(id).callFrame);
    totals.set(name, (totals.get(name) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const sampled = [...totals.values()].reduce((a, b) => a + b, 0);
  // Scaled to the measured wall time, so the rows add up to one cycle.
  const rows = [...totals].map(([name, t]) => ({ name, us: (t / sampled) * wallUs })).sort((a, b) => b.us - a.us);
  return { wallUs, rows };
}

const { redirect, netlink } = await L.loadPackage();
const ns = L.makeNamespace('profile');
const session = new Session();
session.connect();
const nl = await netlink.open({ netns: ns });
const warm = async (f) => {
  for (let i = 0; i < 200; i++) await f();
};
const oneSocket = async () => {
  await redirect.up('vpn', REMOTE, { socket: nl });
  await redirect.down('vpn', { socket: nl });
};
const newSockets = async () => {
  await redirect.up('vpn', REMOTE, { netns: ns });
  await redirect.down('vpn', { netns: ns });
};
await warm(oneSocket);
const given = await profile(session, oneSocket);
await warm(newSockets);
const perCall = await profile(session, newSockets);
nl.close();
session.disconnect();

for (const { title, r } of [
  { title: 'one socket ({ socket })', r: given },
  { title: 'a socket per call ({ netns })', r: perCall },
]) {
  console.log(`\n${title}: ${r.wallUs.toFixed(0)} us per cycle (${cycles} cycles)`);
  for (const row of r.rows) console.log(`  ${row.us.toFixed(0).padStart(5)} us  ${row.name}`);
}
console.log(`BENCH-JSON ${JSON.stringify({ cycles, given, perCall })}`);
