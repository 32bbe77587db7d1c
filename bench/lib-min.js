// The few helpers a measured child process needs, without lib.js's namespace handling (lib.js re-exports them).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoDir = dirname(dirname(fileURLToPath(import.meta.url)));

export function nowUs() {
  return Number(process.hrtime.bigint()) / 1000;
}

/** The first group of `re` in `text`; a text that does not match is a broken assumption. */
export function capture(re, text) {
  const m = re.exec(text);
  if (!m) throw new Error(`no ${re} in ${JSON.stringify(text.slice(0, 200))}`);
  return m[1];
}

export function peakRssMb() {
  return Number(capture(/VmHWM:\s+(\d+)/, readFileSync('/proc/self/status', 'utf8'))) / 1024;
}

export async function loadPackage() {
  return import(join(repoDir, 'dist', 'index.js'));
}
