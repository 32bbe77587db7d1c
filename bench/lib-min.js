// The few helpers a measured child process needs, without lib.js's namespace handling.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoDir = dirname(dirname(fileURLToPath(import.meta.url)));

export function nowUs() {
  return Number(process.hrtime.bigint()) / 1000;
}

export function peakRssMb() {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
}

export async function loadPackage() {
  return import(join(repoDir, 'dist', 'index.js'));
}
