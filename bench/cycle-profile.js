// Where the in-process cycle's time goes (issue 12 §3): `redirect.up` + `redirect.down` through the API on one
// socket (`{ socket }`) and with a new socket per call (`{ netns }`), under V8's sampling profiler. Each sample
// goes to a bucket by the nearest frame of the package's own code on its stack, so that the time in a native
// call (the addon's, node:fs's: their system calls and the kernel's work) is counted with the JS that made it.
// Printed per cycle, in microseconds. Given another build's dist/index.js, it profiles that one instead.
//
//   node bench/cycle-profile.js [CYCLES] [DIST_INDEX_JS]      (root: it makes a namespace; not part of `npm run bench`)
import { Session } from 'node:inspector/promises';
import * as L from './lib.js';

const [cyclesArg, index] = process.argv.slice(2);
const cycles = Number(cyclesArg ?? 3000);
const REMOTE = '198.51.100.7';

/** The bucket of the package's module at `url`, or undefined for a frame outside the package. */
function moduleBucket(url) {
  const m = /\/dist\/(.*)\.js$/.exec(url);
  if (!m) return undefined;
  if (m[1] === 'netlink/socket' || m[1] === 'netlink/native') return 'netlink: sockets (open, close), the queue';
  if (m[1].startsWith('netlink/')) return 'netlink: requests, the kernel, decoding';
  if (m[1].startsWith('store/') || /^redirect\/(state|follower-file)$/.test(m[1]))
    return 'state and lock files (src/store): system calls and JS';
  return 'planning and validation (src/redirect, address, ...)';
}

/** A sample's bucket: the kind of work by its own frame, else by the nearest of the package's frames. */
function bucket(node, parentOf) {
  const { functionName } = node.callFrame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle (waiting for a CPU or the kernel)';
  for (let n = node; n; n = parentOf.get(n.id)) {
    const found = moduleBucket(n.callFrame.url);
    if (found) return found;
  }
  return 'the runtime: promises, microtasks, module glue';
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
  const parentOf = new Map(p.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n])));
  const totals = new Map();
  p.samples.forEach((id, i) => {
    const name = bucket(byId.get(id), parentOf);
    totals.set(name, (totals.get(name) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const sampled = [...totals.values()].reduce((a, b) => a + b, 0);
  // Scaled to the measured wall time, so the rows add up to one cycle.
  const rows = [...totals].map(([name, t]) => ({ name, us: (t / sampled) * wallUs })).sort((a, b) => b.us - a.us);
  return { wallUs, rows };
}

const { redirect, netlink } = await (index ? import(index) : L.loadPackage());
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
