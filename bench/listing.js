// Target 4: listing the routing table. One namespace whose main table grows to 10k, 100k and 1M routes
// (10.0.0.0/8 in /28s via four gateways, proto bgp); at each size, side by side:
//   ours, in process     listRoutes({ family: 4 }) into Route objects, in a process of its own (peak RSS)
//   ours, streaming      for await (const r of nl.routes({ family: 4 })), in a process of its own
//   ours, CLI            redirect-gateway routes -4 --json and routes -4 (whole processes, output to /dev/null)
//   raw C                bench/rawdump.c: the kernel's cost with a 1 MiB buffer (whole process)
//   iproute2             ip -4 -j route show (whole process, output to /dev/null)
//   npm netlink 0.3      getRoutes(), in its own process inside the namespace
//   pyroute2 0.7         IPRoute().get_routes(), in its own process inside the namespace (1M: only with --full)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as L from './lib.js';

const full = process.argv.includes('--full');
const sizes = L.smoke ? [1000] : [10_000, 100_000, 1_000_000];
const runs = L.smoke ? 1 : 3;

function bestOf(n, f) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(f());
  return results.sort((a, b) => a.ms - b.ms)[0];
}

function child(file, args, env) {
  const result = spawnSync(file, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 20,
    timeout: 900_000,
  });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '');
}

const { netlink } = await L.loadPackage();
const ns = L.makeNamespace('list');
const netnsPath = `/run/netns/${ns}`;
const rawdump = L.compile('rawdump');
const npmDir = L.npmNetlink();
const python = L.pyroute2();
const nl = await netlink.open({ netns: ns });
let filled = 0;
const base = (await nl.listRoutes({ family: 4 })).length; // the namespace's own: default, connected
const rows = [];
console.log(`listing the IPv4 main table; ${L.ipVersion()}; best of ${runs}`);
for (const size of sizes) {
  await L.fillTable(nl, filled, size);
  filled = size;
  const expected = size + base;
  const check = (what, count) => {
    if (count !== expected) throw new Error(`${what} listed ${count} routes, expected ${expected}`);
  };
  const row = { size };
  const ours = bestOf(runs, () => child(process.execPath, [join(L.benchDir, 'list-child.js'), ns, 'array']));
  check('listRoutes', ours.count);
  row.ours = { ms: ours.ms, rssMb: ours.rssMb };
  const stream = bestOf(runs, () => child(process.execPath, [join(L.benchDir, 'list-child.js'), ns, 'stream']));
  check('routes()', stream.count);
  row.stream = { ms: stream.ms, rssMb: stream.rssMb };
  row.cli = bestOf(runs, () =>
    L.runProcess(process.execPath, [join(L.repoDir, 'dist/cli/main.js'), 'routes', '-4', '--json', '--netns', ns]),
  );
  row.cliText = bestOf(runs, () =>
    L.runProcess(process.execPath, [join(L.repoDir, 'dist/cli/main.js'), 'routes', '-4', '--netns', ns]),
  );
  row.raw = bestOf(runs, () => L.runProcess(rawdump, [netnsPath]));
  row.ipJson = bestOf(runs, () => L.runProcess('ip', ['-n', ns, '-4', '-j', 'route', 'show']));
  row.ipText = bestOf(runs, () => L.runProcess('ip', ['-n', ns, '-4', 'route', 'show']));
  const npm = child('ip', ['netns', 'exec', ns, process.execPath, join(L.benchDir, 'peers/netlink-npm-list.cjs')], {
    NODE_PATH: join(npmDir, 'node_modules'),
  });
  check('npm netlink', npm.count);
  row.npm = npm;
  if (size <= 100_000 || full) {
    const py = child('ip', ['netns', 'exec', ns, python, join(L.benchDir, 'peers/pyroute2-list.py')]);
    check('pyroute2', py.count);
    row.pyroute2 = py;
  }
  rows.push(row);
  const f = (r) => (r ? `${L.fmtMs(r.ms)} (${r.rssMb.toFixed(0)} MB)` : 'skipped (--full)');
  console.log(`${size} routes:`);
  console.log(`  ours listRoutes, in process   ${f(row.ours)}`);
  console.log(`  ours routes() stream          ${f(row.stream)}`);
  console.log(`  ours CLI routes --json         ${f(row.cli)}`);
  console.log(`  ours CLI routes (text)         ${f(row.cliText)}`);
  console.log(`  raw C dump (whole process)     ${f(row.raw)}`);
  console.log(`  ip -j route show               ${f(row.ipJson)}`);
  console.log(`  ip route show                  ${f(row.ipText)}`);
  console.log(`  npm netlink, in process        ${f(row.npm)}`);
  console.log(`  pyroute2, in process           ${f(row.pyroute2)}`);
}
nl.close();
L.dropNamespace(ns);
L.report({ bench: 'listing', smoke: L.smoke, rows });
