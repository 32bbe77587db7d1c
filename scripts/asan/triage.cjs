'use strict';
// Reads the sanitizer logs of a `npm run test:asan` run (one file per process that reported anything) and
// fails on every report that concerns the addon:
//  - any AddressSanitizer or UndefinedBehaviorSanitizer error, from any process: fail;
//  - a leak (LeakSanitizer) of a block the addon (rtnetlink.node) allocated: fail;
//  - other leaks are Node's and V8's own, set aside and counted: V8 keeps pointers to blocks it mallocs
//    (slot sets, code and zone segments, ...) inside its own mmap'd heap pages, which LeakSanitizer does not
//    scan, so to LeakSanitizer those blocks look lost. LeakSanitizer's own suppression file cannot set them
//    aside here: a suppression matches a leak when any frame of its stack matches, and every allocation of
//    the addon is also called from Node and V8 frames, so suppressing those would hide the addon's leaks too.
//    The rule "a leak is ours when the addon allocated it" (the first frame past the allocator and the C/C++
//    runtime is in rtnetlink.node) is that suppression, made exact.
//  - LeakSanitizer's tracer unable to stop a thread ("Unable to get registers from thread N", "Could not attach to
//    thread": one that was ending, which goes unscanned while the rest is checked; no error and no leak of the
//    program is in such a report): shown and counted as a leak check that did not run whole, not a failure. The
//    tracer's crash ("Tracer caught signal", "fatal error") is one: dynamic TLS in the process, see docs/testing.md.
// The addon's frames are symbolized here (the logs are written unsymbolized, see scripts/test-asan).
//
// Usage: node triage.cjs LOGDIR ADDON [LLVM_SYMBOLIZER]
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const [logDir, addon, symbolizer] = process.argv.slice(2);
const files = fs
  .readdirSync(logDir)
  .filter((f) => f.startsWith('sanitizer.'))
  .sort();
const ADDON_FRAME = /\(([^()\s]*\/rtnetlink\.node)\+(0x[0-9a-f]+)\)/;

function symbolize(text) {
  if (!symbolizer) return text;
  const offsets = [...new Set([...text.matchAll(new RegExp(ADDON_FRAME, 'g'))].map((m) => m[2]))];
  if (!offsets.length) return text;
  let out;
  try {
    // Return addresses point past the call: ask about the byte before, as the sanitizers' symbolizer does.
    const input = offsets.map((o) => '0x' + (BigInt(o) - 1n).toString(16)).join('\n') + '\n';
    out = execFileSync(symbolizer, ['--obj=' + addon, '--inlining=false'], { input }).toString();
  } catch {
    return text;
  }
  const names = out.trim().split(/\n\n/);
  const byOffset = new Map(offsets.map((o, i) => [o, (names[i] ?? '').split('\n').join(' at ')]));
  return text.replace(
    new RegExp(ADDON_FRAME.source + '.*$', 'gm'),
    (line, _p, off) => `${line}\n        -> ${byOffset.get(off)}`,
  );
}

// The allocation's owner: the first frame that is not the sanitizer's allocator or the C/C++ runtime. (A
// block that V8 allocates while the addon calls into Node-API is V8's: the addon's frames are further down.)
function allocatedByAddon(block) {
  for (const line of block.split('\n')) {
    const module = /^\s*#\d+ 0x[0-9a-f]+ .*?\(([^()\s]+)\+0x[0-9a-f]+\)/.exec(line)?.[1];
    if (!module || /\/(libclang_rt\.[^/]*|libstdc\+\+\.so[^/]*|libc\.so[^/]*|libgcc_s\.so[^/]*)$/.test(module))
      continue;
    return module.endsWith('/rtnetlink.node');
  }
  return false;
}

let errors = 0,
  unchecked = 0,
  ourLeaks = 0,
  theirLeaks = 0,
  theirBytes = 0;
const processesWithTheirLeaks = new Set();
for (const file of files) {
  const text = fs.readFileSync(path.join(logDir, file), 'latin1');
  // A log holds one or more reports, each starting with a line of '='.
  for (const report of text.split(/^=+\n/m).filter((r) => r.trim())) {
    const threadNotStopped =
      /Unable to get registers from thread|Could not attach to thread|Waiting on thread \d+ failed/;
    if (threadNotStopped.test(report) && !/ERROR: |runtime error: |fatal error/.test(report)) {
      unchecked++;
      console.log(`---- ${file}: its leak check did not run whole (LeakSanitizer's tracer missed a thread)\n${report}`);
      continue;
    }
    if (!/ERROR: LeakSanitizer: detected memory leaks/.test(report)) {
      errors++;
      const crash = /Tracer caught signal/.test(report)
        ? " (LeakSanitizer's tracer crashed: dynamic TLS? docs/testing.md)"
        : '';
      console.error(`---- ${file}: sanitizer report${crash}\n${symbolize(report)}`);
      continue;
    }
    for (const leak of report.split(/^(?=(?:Direct|Indirect) leak of )/m).slice(1)) {
      const block = leak.split(/^SUMMARY:/m)[0];
      if (allocatedByAddon(block)) {
        ourLeaks++;
        console.error(`---- ${file}: a leak of the addon\n${symbolize(block)}`);
      } else {
        theirLeaks++;
        theirBytes += Number(/leak of (\d+) byte/.exec(block)?.[1] ?? 0);
        processesWithTheirLeaks.add(file);
      }
    }
  }
}

console.log(
  `sanitizer logs: ${files.length} processes reported; ${errors} ASan/UBSan errors, ${ourLeaks} leaks of the addon; ` +
    `${unchecked} leak checks that did not run; ` +
    `set aside: ${theirLeaks} leaks of Node/V8 itself (${theirBytes} bytes, ${processesWithTheirLeaks.size} processes)`,
);
if (errors || ourLeaks) {
  console.error(`FAIL: test:asan: ${errors} sanitizer error report(s), ${ourLeaks} leak(s) of the addon (above)`);
  process.exit(1);
}
