// `npm run bench`: runs every benchmark (each a script of its own, each printing our figures beside the
// peers' from the same run), then records the results: bench/results.json, the results table in
// bench/README.md (between its results markers) and the chart bench/listing.svg.
//
//   npm run bench                      everything (about 10 minutes; needs root: it makes namespaces)
//   npm run bench -- --smoke           tiny sizes, a few seconds each, records nothing (for CI)
//   npm run bench -- --only cli,scale  some of them; the others' recorded results are kept
//   npm run bench -- --full            also pyroute2 on 1M routes (about 90 s and 4 GB more)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { listingSvg } from './chart.js';
import { benchDir, fmtMs, ipVersion } from './lib.js';

const ALL = ['redirect', 'cli', 'scale', 'listing', 'bulk', 'events', 'follow', 'mesh'];
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : ALL;
const passOn = args.filter((a) => a === '--smoke' || a === '--full');

function runScript(name) {
  return new Promise((resolve, reject) => {
    console.log(`\n=== bench/${name}.js ${passOn.join(' ')}`);
    const child = spawn(process.execPath, [join(benchDir, `${name}.js`), ...passOn], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result;
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('BENCH-JSON ')) result = JSON.parse(line.slice('BENCH-JSON '.length));
        else console.log(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 && result ? resolve(result) : reject(new Error(`bench/${name}.js failed (exit ${code})`)),
    );
  });
}

const resultsPath = join(benchDir, 'results.json');
const results = !smoke && existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
const startLoad = loadavg()[0];
for (const name of ALL.filter((n) => only.includes(n))) {
  const load = loadavg()[0];
  const previous = results[name];
  results[name] = await runScript(name);
  // The start-up figures are read against the last recorded ones.
  if (name === 'cli' && previous)
    results[name].previous = { recorded: results.machine?.date, medians: previous.medians };
  results[name].loadavg = load;
  // Kept as each script ends: a run that fails later can be finished with --only.
  if (!smoke) writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
}
if (smoke) {
  console.log('\nsmoke run: nothing recorded');
  process.exit(0);
}
results.machine = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  node: process.version,
  kernel: release(),
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  iproute2: ipVersion(),
  loadavg: `${startLoad.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`,
};
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
if (results.listing)
  writeFileSync(join(benchDir, 'listing.svg'), listingSvg(results.listing.rows, results.machine.date));

// ---- the README table -----------------------------------------------------------------------------------

const us = (v) => (v === undefined ? '-' : `${v.toFixed(0)} us`);
const ms = (r) => (r ? fmtMs(r.ms) : '-');
const msRss = (r) => (r ? `${fmtMs(r.ms)}, ${r.rssMb.toFixed(0)} MB` : '-');
const verdict = (ok) => (ok ? '**met**' : '**not met**');
const lines = [];
const m = results.machine;
const load = (r) => (typeof r?.loadavg === 'number' ? `; load average ${r.loadavg.toFixed(1)} when it started` : '');
lines.push(
  `Recorded ${m.date} on ${m.cpus}, Linux ${m.kernel}, Node ${m.node}, ${m.iproute2}; load average ${m.loadavg} of the last run (\`npm run bench\`, or \`--only\` for some).`,
);
lines.push('');
if (results.redirect) {
  const r = results.redirect;
  lines.push(`**1. In-process redirect** (\`redirect.up\` + \`redirect.down\`, median of the cycle${load(r)})`);
  lines.push('');
  lines.push("| ours | same operations via `execFile('ip')` | raw-C floor (the routes' requests alone) | target |");
  lines.push('| --- | --- | --- | --- |');
  lines.push(
    `| ${us(r.ours.medianUs)} (p90 ${us(r.ours.p90Us)}) | ${us(r.viaIp.medianUs)} (ours ${r.ratio.toFixed(0)}x faster) | ${us(r.raw.medianUs)} | <= 150 us and >= 100x: ${verdict(r.ours.medianUs <= 150 && r.ratio >= 100)} |`,
  );
  lines.push('');
  lines.push(
    `Our netlink layer's share of the cycle (its route calls alone: no state file, lock or rules): ${us(r.netlinkLookups.medianUs)} with exact lookups, as src/redirect reads the kernel (observe.ts), ${us(r.netlinkDumps.medianUs)} with dumps instead (a link list and our protocol's routes, as it read them before observe.ts).`,
  );
  lines.push('');
  lines.push('| single operation, in process (median) | ours | pyroute2 | npm netlink | raw C |');
  lines.push('| --- | --- | --- | --- | --- |');
  lines.push(
    `| route lookup (\`getRoute\`) | ${us(r.ops.ours.getUs)} | ${us(r.ops.pyroute2.getUs)} | ${us(r.ops.npm.getUs)} | ${us(r.raw.getUs)} |`,
  );
  lines.push(
    `| add + delete one route | ${us(r.ops.ours.addDelUs)} | ${us(r.ops.pyroute2.addDelUs)} | ${us(r.ops.npm.addDelUs)} | ${us(r.raw.addDelUs)} |`,
  );
  lines.push('');
}
if (results.cli) {
  const c = results.cli.medians;
  lines.push(`**2. Hook / CLI process** (whole processes, medians of ${results.cli.runs}${load(results.cli)})`);
  lines.push('');
  lines.push(
    '| | `node -e 0` | `redirect-gateway up` | `redirect-gateway down` | `redirect-gateway hook up` | seed `server-up` | seed `server-down` | target |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const plus = (v) => (v === undefined ? '-' : `+${fmtMs(v - c.node)}`);
  const over = (m, key) => (m[key] === undefined ? '-' : `${fmtMs(m[key])} (+${fmtMs(m[key] - m.node)})`);
  lines.push(
    `| now | ${fmtMs(c.node)} | ${over(c, 'up')} | ${over(c, 'down')} | ${over(c, 'hookUp')} | ${fmtMs(c.seedUp)} | ${fmtMs(c.seedDown)} | up <= node + 8 ms: ${verdict(c.up - c.node <= 8)}; up+down is ${((c.up + c.down) / (c.seedUp + c.seedDown)).toFixed(1)}x the seed scripts |`,
  );
  const p = results.cli.previous?.medians;
  if (p) {
    lines.push(
      `| before (${results.cli.previous.recorded}) | ${fmtMs(p.node)} | ${over(p, 'up')} | ${over(p, 'down')} | ${over(p, 'hookUp')} | ${fmtMs(p.seedUp)} | ${fmtMs(p.seedDown)} | |`,
    );
  }
  lines.push('');
  lines.push(
    `Where the start-up goes (over \`node -e 0\`): importing our netlink layer (its modules and the addon) ${plus(c.importNetlink)}, importing the whole package ${plus(c.importPackage)}, \`redirect-gateway --help\` ${plus(c.help)}.`,
  );
  lines.push('');
}
if (results.scale) {
  const s = results.scale;
  lines.push(`**3. Scale** (medians in process, empty table vs ${s.routes} routes${load(s)})`);
  lines.push('');
  lines.push('| | empty | full | ratio |');
  lines.push('| --- | --- | --- | --- |');
  const row = (label, key) =>
    lines.push(`| ${label} | ${us(s.empty[key])} | ${us(s.full[key])} | ${(s.full[key] / s.empty[key]).toFixed(2)}x |`);
  row('`redirect.up` + `redirect.down`', 'cycleUs');
  row('its route calls alone, with exact lookups (as observe.ts reads)', 'netlinkLookupsUs');
  row('its route calls alone, with dumps instead (as before observe.ts)', 'netlinkDumpsUs');
  row('`listRoutes({ protocol })` (a filtered dump: only for a lost state or the kill switch routes)', 'ownedDumpUs');
  row('`getRoute(server, { fibMatch })`', 'lookupUs');
  row('`findRoutes` of 3 exact routes (no dump)', 'exactUs');
  lines.push('');
  lines.push(`Target: the cycle within 10%: ${verdict(s.ratio <= 1.1)}.`);
  lines.push('');
}
if (results.listing) {
  lines.push(
    `**4. Listing** the IPv4 main table (time, peak RSS; best of 3${load(results.listing)}); in-process figures are the call alone, the others whole processes`,
  );
  lines.push('');
  lines.push(
    '| routes | ours `listRoutes` | ours `routes()` stream | ours CLI `routes --json` | ours CLI `routes` | raw C dump | `ip -j route show` | `ip route show` | npm netlink (in process) | pyroute2 (in process) |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results.listing.rows) {
    lines.push(
      `| ${r.size} | ${msRss(r.ours)} | ${msRss(r.stream)} | ${msRss(r.cli)} | ${msRss(r.cliText)} | ${ms(r.raw)} | ${ms(r.ipJson)} | ${ms(r.ipText)} | ${msRss(r.npm)} | ${r.pyroute2 ? msRss(r.pyroute2) : 'skipped (--full)'} |`,
    );
  }
  const top = results.listing.rows.at(-1);
  lines.push('');
  lines.push(
    `Targets at ${top.size}: listRoutes <= 0.5 s ${verdict(top.ours.ms <= 500)}, peak RSS <= 400 MB ${verdict(top.ours.rssMb <= 400)}, CLI --json no slower than \`ip -j\` ${verdict(top.cli.ms <= top.ipJson.ms)}, CLI text no slower than \`ip\` ${top.cliText ? verdict(top.cliText.ms <= top.ipText.ms) : '-'}, stream memory flat (${results.listing.rows.map((r) => `${r.stream.rssMb.toFixed(0)} MB`).join(' / ')}).`,
  );
  lines.push('');
  lines.push('![listing time against table size](listing.svg)');
  lines.push('');
}
if (results.bulk) {
  const b = results.bulk;
  lines.push(`**5. Bulk changes**: adding ${b.count} routes (whole processes, time and peak RSS${load(b)})`);
  lines.push('');
  lines.push(
    '| ours `bulkChange` (stream) | ours `changeRoutes` (array) | `ip -batch` | raw C (512 per send) | target |',
  );
  lines.push('| --- | --- | --- | --- | --- |');
  lines.push(
    `| ${msRss(b.ours)} | ${msRss(b.oursArray)} | ${msRss(b.ipBatch)} | ${msRss(b.raw)} | >= 5x faster than ip -batch: ${verdict(b.ratio >= 5)} (${b.ratio.toFixed(1)}x; the raw-C floor is ${(b.ipBatch.ms / b.raw.ms).toFixed(1)}x) |`,
  );
  lines.push('');
}
if (results.events) {
  const e = results.events;
  lines.push(
    `**6. Change events** under a flood of ${e.kernelEvents} route events (\`ip -batch\` of ${e.count} adds, then deletes, in another process), the consumer a process of its own (medians of ${e.rounds}${load(e)})`,
  );
  lines.push('');
  lines.push(
    '| consumer | events delivered to JS | per second | its CPU per 10k kernel events (sys) | overruns (all rounds) |',
  );
  lines.push('| --- | --- | --- | --- | --- |');
  const row = (label, r) =>
    lines.push(
      `| ${label} | ${r.delivered} | ${r.perSecond.toFixed(0)} | ${r.cpuMsPer10k.toFixed(1)} ms (${r.sysMsPer10k.toFixed(1)} ms) | ${r.overruns} |`,
    );
  row('`watch()`, no filter', e.all);
  if (e.kernel) row("`keepRoutesFor({ dev: 'vpn' })`: the flood dropped in the kernel", e.kernel);
  row('`watch({ family: 6 })`: the floor, no IPv4 route reaches the process', e.idle);
  lines.push('');
}
if (results.follow) {
  const f = results.follow;
  lines.push(
    `**7. The follower** (\`redirect.follow\`, a process of its own${load(f)}): from main's default route replaced to the exception route fixed, median ${f.reaction.medianMs.toFixed(1)} ms (max ${f.reaction.maxMs.toFixed(1)} ms) of ${f.reaction.rounds}; idle ${f.idleCpuMs.toFixed(1)} ms of CPU in 1 s`,
  );
  lines.push('');
  lines.push(
    "| unrelated route changes | their wall time | the follower's CPU | share (want <= 10%) | RSS before -> after |",
  );
  lines.push('| --- | --- | --- | --- | --- |');
  lines.push(
    `| ${f.flood.changes} | ${fmtMs(f.flood.floodMs)} | ${f.flood.cpuMs.toFixed(0)} ms | ${(100 * f.flood.share).toFixed(1)}%: ${verdict(f.flood.share <= 0.1)} | ${f.flood.rssBeforeMb.toFixed(1)} -> ${f.flood.rssAfterMb.toFixed(1)} MiB |`,
  );
  lines.push('');
}
if (results.mesh) {
  const r = results.mesh;
  const floor = (n) => r.floors.find((f) => f.n === n)?.perEventMs;
  lines.push(
    `**8. A mesh joining** (N host-up, then N host-down, one after another as tincd runs them: \`system()\` of the script install-hook wrote${load(r)}). Hook time is what tincd spends forwarding nothing; table right, from the first event until our exception routes are exactly the peers'.`,
  );
  lines.push('');
  lines.push(
    "| scripts | N | host-up: hook time (per event, max) | table right | the follower's CPU | host-down: hook time (per event) | table right | the follower's CPU | empty script (floor) | target <= 5 ms/event |",
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const cpu = (e) => (e.followerCpuMs === undefined ? '-' : fmtMs(e.followerCpuMs));
  for (const row of r.rows) {
    const what = row.mode === 'handoff' ? '`--mesh --follow` (handoff)' : '`--mesh` (a Node process per event)';
    lines.push(
      `| ${what} | ${row.n} | ${fmtMs(row.up.hookMs)} (${fmtMs(row.up.perEventMs)}, ${fmtMs(row.up.maxMs)}) | ${fmtMs(row.up.rightMs)} | ${cpu(row.up)} | ${fmtMs(row.down.hookMs)} (${fmtMs(row.down.perEventMs)}) | ${fmtMs(row.down.rightMs)} | ${cpu(row.down)} | ${fmtMs(floor(row.n))} | ${verdict(Math.max(row.up.perEventMs, row.down.perEventMs) <= 5)} |`,
    );
  }
  const x = r.extrapolated;
  if (x) {
    lines.push(
      `| \`--mesh\`, extrapolated from N = ${x.fromN} | 1000 | ${fmtMs(x.upHookMs)} | | | ${fmtMs(x.downHookMs)} | | | | |`,
    );
  }
  lines.push('');
}
const readmePath = join(benchDir, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const begin = '<!-- results:begin -->';
const end = '<!-- results:end -->';
const a = readme.indexOf(begin);
const z = readme.indexOf(end);
if (a >= 0 && z > a) {
  writeFileSync(readmePath, `${readme.slice(0, a + begin.length)}\n${lines.join('\n')}\n${readme.slice(z)}`);
  console.log('\nrecorded: bench/results.json, bench/README.md, bench/listing.svg');
}
