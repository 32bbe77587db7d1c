// The follower (redirect.follow, bench/follow-child.js in a process of its own) in a namespace of its own
// (lib.js's: uplink up0 with a default via 192.168.0.1, tun vpn):
//   reaction   from the event (this process replaces main's default route through its own socket) to the
//              follower's log line for the exception route it fixed (both on the shared monotonic clock)
//   flood      its CPU time while N unrelated route changes pass (ip -batch adds and deletes /32s through up0 in
//              another process), as a share of their wall time; its RSS before and after
//   idle       its CPU time over a quiet second (no timers: it should be nothing)
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import * as L from './lib.js';

const SERVER = '198.51.100.10';
const GATEWAYS = ['192.168.0.1', '192.168.0.3'];
const changes = L.smoke ? 2000 : Number(process.env.BENCH_FOLLOW_ROUTES ?? 200_000);
const reactions = L.smoke ? 3 : 30;

const ns = L.makeNamespace('follow');
const { netlink } = await import(join(L.repoDir, 'dist', 'index.js'));
const nl = await netlink.open({ netns: ns });
const child = spawn(process.execPath, [join(L.benchDir, 'follow-child.js'), ns, SERVER], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function nextLine() {
  const { value, done } = await lines.next();
  if (done) throw new Error('follow-child.js ended');
  return JSON.parse(value);
}
/** The next line that is not a change the follower made (the answer to a query). */
async function query() {
  child.stdin.write('?\n');
  for (;;) {
    const r = await nextLine();
    if (r.cpuUs !== undefined) return r;
  }
}

const file = join(tmpdir(), `rg-bench-follow-${process.pid}.txt`);
try {
  while (!(await nextLine()).ready);
  // 1. Reaction time.
  const times = [];
  for (let i = 0; i < reactions; i++) {
    const gateway = GATEWAYS[(i + 1) % 2];
    const startUs = L.nowUs();
    await nl.replaceRoute({ dst: '0.0.0.0/0', gateway, dev: 'up0' });
    for (;;) {
      const r = await nextLine();
      if (r.line?.includes(`${SERVER}/32 via ${gateway}`)) {
        times.push((r.us - startUs) / 1000);
        break;
      }
    }
    await sleep(20);
  }
  // 2. Idle.
  const idleStart = await query();
  await sleep(1000);
  const idleEnd = await query();
  // 3. A flood of unrelated changes.
  const lines = [];
  for (const op of ['add', 'del']) {
    for (let i = 0; i < changes / 2; i++)
      lines.push(`route ${op} 10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev up0`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const before = await query();
  const floodStart = L.nowUs();
  await L.runAsync('ip', ['-n', ns, '-batch', file]);
  const floodMs = (L.nowUs() - floodStart) / 1000;
  await sleep(500); // what it still had queued
  const after = await query();
  const cpuMs = (after.cpuUs - before.cpuUs) / 1000;
  const result = {
    bench: 'follow',
    smoke: L.smoke,
    reaction: { rounds: reactions, medianMs: L.median(times), maxMs: Math.max(...times) },
    idleCpuMs: (idleEnd.cpuUs - idleStart.cpuUs) / 1000,
    flood: {
      changes,
      floodMs,
      cpuMs,
      share: cpuMs / floodMs,
      rssBeforeMb: before.rssMb,
      rssAfterMb: after.rssMb,
    },
  };
  console.log(
    `reaction (default gateway changed -> exception fixed): median ${result.reaction.medianMs.toFixed(2)} ms, max ${result.reaction.maxMs.toFixed(2)} ms of ${reactions}`,
  );
  console.log(`idle: ${result.idleCpuMs.toFixed(2)} ms of CPU in 1 s`);
  console.log(
    `${changes} unrelated route changes in ${L.fmtMs(floodMs)}: the follower's CPU ${cpuMs.toFixed(0)} ms (${(100 * result.flood.share).toFixed(1)}% of their wall time), RSS ${before.rssMb.toFixed(1)} -> ${after.rssMb.toFixed(1)} MiB`,
  );
  L.report(result);
} finally {
  child.stdin.end();
  child.kill();
  nl.close();
  rmSync(file, { force: true });
  L.dropNamespace(ns);
}
