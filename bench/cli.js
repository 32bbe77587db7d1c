// Target 2: `redirect-gateway up` as a whole process (what tincd runs as hosts/SERVER-up), against
// `node -e 0` (the floor of any Node executable) measured in the same run, and the seed's two shell scripts
// (/work/shared/seed/tinc-redirect-gateway.txt, router mode, with `ip` pointed at the namespace).
// Medians of alternating runs; each `up` is followed by its `down`, so every `up` starts from the same table.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from './lib.js';

const runs = L.smoke ? 3 : 40;
const REMOTE = '198.51.100.7';
const main = join(L.repoDir, 'dist/cli/main.js');
const ns = L.makeNamespace('cli');

// The seed's scripts, as written there (router mode: the two /1 routes through $INTERFACE), with `ip`
// made to work inside the benchmark's namespace.
const dir = mkdtempSync(join(tmpdir(), 'rg-bench-seed-'));
const prelude = `#!/bin/sh\nip() { command ip -n "$NETNS" "$@"; }\n`;
writeFileSync(
  join(dir, 'server-up'),
  `${prelude}ORIGINAL_GATEWAY=\`ip route show | grep ^default | cut -d ' ' -f 2-5\`
ip route add $REMOTEADDRESS $ORIGINAL_GATEWAY
ip route add 0.0.0.0/1 dev $INTERFACE
ip route add 128.0.0.0/1 dev $INTERFACE
`,
);
writeFileSync(
  join(dir, 'server-down'),
  `${prelude}ORIGINAL_GATEWAY=\`ip route show | grep ^default | cut -d ' ' -f 2-5\`
ip route del $REMOTEADDRESS $ORIGINAL_GATEWAY
ip route del 0.0.0.0/1 dev $INTERFACE
ip route del 128.0.0.0/1 dev $INTERFACE
`,
);
chmodSync(join(dir, 'server-up'), 0o755);
chmodSync(join(dir, 'server-down'), 0o755);
const seedEnv = { ...process.env, NETNS: ns, INTERFACE: 'vpn', REMOTEADDRESS: REMOTE };
const hookEnv = { ...process.env, INTERFACE: 'vpn', REMOTEADDRESS: REMOTE };

function routeCount() {
  return L.ip(ns, 'route', 'show').trim().split('\n').length;
}
const baseline = routeCount();

// Where the start-up goes: loading our netlink layer (its modules and the addon), the whole package, and
// the CLI without a command.
const importer = (file) => ['--input-type=module', '-e', `await import(${JSON.stringify(join(L.repoDir, file))})`];
/** @type {Record<'node' | 'up' | 'down' | 'hookUp' | 'seedUp' | 'seedDown' | 'importNetlink' | 'importPackage' | 'help', number[]>} */
const samples = {
  node: [],
  up: [],
  down: [],
  hookUp: [],
  seedUp: [],
  seedDown: [],
  importNetlink: [],
  importPackage: [],
  help: [],
};
try {
  for (let i = 0; i < runs + 2; i++) {
    const node = L.runProcess(process.execPath, ['-e', '0']);
    const importNetlink = L.runProcess(process.execPath, importer('dist/netlink/index.js'));
    const importPackage = L.runProcess(process.execPath, importer('dist/index.js'));
    const help = L.runProcess(process.execPath, [main, '--help']);
    const up = L.runProcess(process.execPath, [main, 'up', 'vpn', REMOTE, '--netns', ns]);
    if (routeCount() !== baseline + 3) throw new Error('redirect-gateway up did not add its three routes');
    const down = L.runProcess(process.execPath, [main, 'down', 'vpn', '--netns', ns]);
    // What tincd runs: `hook up` with the interface and the server in its environment.
    const hookUp = L.runProcess(process.execPath, [main, 'hook', 'up', '--netns', ns], { env: hookEnv });
    if (routeCount() !== baseline + 3) throw new Error('redirect-gateway hook up did not add its three routes');
    L.runProcess(process.execPath, [main, 'down', 'vpn', '--netns', ns]);
    const seedUp = L.runProcess(join(dir, 'server-up'), [], { env: seedEnv });
    if (routeCount() !== baseline + 3) throw new Error('the seed up script did not add its three routes');
    const seedDown = L.runProcess(join(dir, 'server-down'), [], { env: seedEnv });
    if (routeCount() !== baseline) throw new Error('the table is not back to where it was');
    if (i < 2) continue; // warm-up: page cache, compiled helpers
    samples.node.push(node.ms);
    samples.importNetlink.push(importNetlink.ms);
    samples.importPackage.push(importPackage.ms);
    samples.help.push(help.ms);
    samples.up.push(up.ms);
    samples.down.push(down.ms);
    samples.hookUp.push(hookUp.ms);
    samples.seedUp.push(seedUp.ms);
    samples.seedDown.push(seedDown.ms);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
L.dropNamespace(ns);

const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, L.median(v)]));
const over = m.up - m.node;
console.log(`whole processes, medians of ${runs}:`);
console.log(`  node -e 0                      ${L.fmtMs(m.node)}`);
console.log(`  import dist/netlink (ours)     ${L.fmtMs(m.importNetlink)}  (+${L.fmtMs(m.importNetlink - m.node)})`);
console.log(`  import dist/index.js           ${L.fmtMs(m.importPackage)}  (+${L.fmtMs(m.importPackage - m.node)})`);
console.log(`  redirect-gateway --help        ${L.fmtMs(m.help)}  (+${L.fmtMs(m.help - m.node)})`);
console.log(`  redirect-gateway up            ${L.fmtMs(m.up)}  (+${L.fmtMs(over)} over node -e 0; target <= +8 ms)`);
console.log(`  redirect-gateway down          ${L.fmtMs(m.down)}  (+${L.fmtMs(m.down - m.node)})`);
console.log(`  redirect-gateway hook up       ${L.fmtMs(m.hookUp)}  (+${L.fmtMs(m.hookUp - m.node)})`);
console.log(`  seed server-up (sh + ip)       ${L.fmtMs(m.seedUp)}`);
console.log(`  seed server-down (sh + ip)     ${L.fmtMs(m.seedDown)}`);
console.log(
  `  up+down: ours ${L.fmtMs(m.up + m.down)}, seed scripts ${L.fmtMs(m.seedUp + m.seedDown)} (ours/seed = ${((m.up + m.down) / (m.seedUp + m.seedDown)).toFixed(2)})`,
);
L.report({ bench: 'cli', smoke: L.smoke, runs, medians: m, overNodeMs: over });
