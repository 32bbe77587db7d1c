'use strict';
// Runs first in every node process of `npm run test:asan` (the node wrapper that scripts/test-asan puts in
// place of node adds it to NODE_OPTIONS). It keeps the sanitizer runtime to node processes and gives each
// of them a leak check at its exit:
//  - LD_PRELOAD leaves the environment, so the programs node starts (ip, tincd, strace, sh) run without
//    the ASan runtime: they are not ours, and iproute2 6.1 trips ASan (an overlapping strncpy in
//    print_route) in every `ip route` listing.
//  - process.execPath points at the wrapper, so a node started by node (vitest's workers, the CLI in the
//    tests, a hook) is wrapped again, whatever environment it is given.
//  - NODE_OPTIONS is given back as it was.
//  - At exit (and, in a vitest worker, at the SIGTERM that ends it), unless the process is being traced
//    (LeakSanitizer cannot stop the threads of a process that strace holds), LeakSanitizer checks for leaks;
//    reports go to the log directory, which scripts/asan/triage.cjs reads.
const fs = require('node:fs');

const env = process.env;
if (env.RG_ASAN_EXEC_PATH) process.execPath = env.RG_ASAN_EXEC_PATH;
if (env.RG_ASAN_NODE_OPTIONS === undefined) delete env.NODE_OPTIONS;
else env.NODE_OPTIONS = env.RG_ASAN_NODE_OPTIONS;
const hooksPath = env.RG_ASAN_LSAN_HOOKS;
for (const name of ['LD_PRELOAD', 'RG_ASAN_EXEC_PATH', 'RG_ASAN_NODE_OPTIONS', 'RG_ASAN_LSAN_HOOKS']) delete env[name];

function traced() {
  try {
    return !/^TracerPid:\s+0$/m.test(fs.readFileSync('/proc/self/status', 'latin1'));
  } catch {
    return true;
  }
}

if (hooksPath) {
  const hooks = { exports: {} };
  process.dlopen(hooks, hooksPath);
  let checked = false;
  const check = () => {
    if (checked || traced()) return;
    checked = true;
    hooks.exports.leakCheck();
  };
  process.on('exit', check);
  // Vitest ends its fork workers (where most of the addon's calls happen) with SIGTERM, which skips 'exit':
  // a worker checks and exits instead, as vitest's own workers do under a profiler (nodejs/node#55094).
  if (process.send && /[\\/]vitest[\\/]dist[\\/]workers[\\/]forks\.js$/.test(process.argv[1] ?? '')) {
    process.on('SIGTERM', () => {
      check();
      process.exit(143);
    });
  }
}
