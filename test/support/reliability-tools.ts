// Tools for the reliability tests (test/reliability-*.test.ts): a seeded PRNG so that a failure can be
// replayed, bounded concurrency, an independent watcher of the default route (iproute2, in processes of its
// own), what a process does to the file system (strace), and the CLI called in process. (The CLI as a process
// of its own, which a test may kill at any moment: cli.ts.)
import { readFile } from 'node:fs/promises';
import { type Exit, start } from './exec.js';
import { ipJson } from './ip.js';

// --- a seeded PRNG ------------------------------------------------------------------------------------------

/** The seed a run uses: RG_SEED from the environment (to replay a failure), or a fresh one. */
export function runSeed(): number {
  const given = process.env.RG_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new Error(`RG_SEED must be a whole number below 2^32: ${given}`);
    return n;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** mulberry32: small, fast, good enough for test input; the same seed gives the same sequence. */
export class Prng {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

// --- bounded concurrency ---------------------------------------------------------------------------------

/** Runs `work` over `items` with at most `limit` at a time; results in the items' order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// --- the kernel's view of our routes -------------------------------------------------------------------------

/** Our routes (protocol 157) in both families, as `ip -j route show proto 157` has them: 'dst [via gw] dev d'. */
export async function ourRouteLines(ns: string): Promise<string[]> {
  const lines: string[] = [];
  for (const family of ['-4', '-6']) {
    const routes = await ipJson<{ dst: string; gateway?: string; dev: string; metric?: number }[]>(
      ns,
      family,
      'route',
      'show',
      'proto',
      '157',
    );
    for (const r of routes)
      lines.push(
        `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}${r.metric ? ` metric ${r.metric}` : ''}`,
      );
  }
  return lines.sort();
}

/** The entries of a list that occur more than once. */
export function duplicates(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const line of lines) (seen.has(line) ? twice : seen).add(line);
  return [...twice];
}

// --- reading a file that may be garbage ----------------------------------------------------------------------

export async function readJsonOrUndefined(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

// --- watching the default route from outside ---------------------------------------------------------------------

export interface DefaultRouteReport {
  /** Samples taken (each an `ip -j route show default` answered by the kernel). */
  samples: number;
  /** Samples in which the expected default route was absent. */
  missing: number;
  /** The lines of `ip monitor route` that deleted or replaced a default route. */
  deletions: string[];
  /** Every line `ip monitor route` printed (for the failure message). */
  events: number;
}

/**
 * Watches a namespace's default route with iproute2, in two processes of its own:
 *   - `ip monitor route` reports every change the kernel makes, so even a deletion undone a microsecond later
 *     shows up as a "Deleted default ..." line;
 *   - `ip -j -batch -` answers `route show default` every 2 ms or so (sampling, as a second opinion).
 * `expect` is a fragment the default route's JSON must contain (e.g. '"gateway":"192.168.1.1"').
 */
export interface DefaultRouteWatch {
  /** When (performance.now()) the first route change after `since` reached us, if one did. */
  firstChangeAfter(since: number): number | undefined;
  stop(): Promise<DefaultRouteReport>;
}

export async function watchDefaultRoute(ns: string, family: 4 | 6, expect: string): Promise<DefaultRouteWatch> {
  // ip monitor flushes every event: the arrival time of a line here is within a fraction of a millisecond of
  // the change (this process only waits meanwhile).
  const monitor = start('ip', ['-n', ns, `-${family}`, 'monitor', 'route'], { timeoutMs: null });
  const arrivals: number[] = [];
  monitor.child.stdout!.on('data', () => arrivals.push(performance.now()));
  const sampler = start('ip', ['-n', ns, `-${family}`, '-j', '-batch', '-'], { stdin: 'pipe', timeoutMs: null });
  const stdin = sampler.child.stdin!;
  let samples = 0;
  let missing = 0;
  let partial = '';
  sampler.child.stdout!.on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      samples++;
      if (!line.includes(expect)) missing++;
    }
  });
  stdin.on('error', () => undefined);
  // ip monitor needs a moment to subscribe; a sample proves the sampler runs.
  await new Promise((r) => setTimeout(r, 100));
  let stopped = false;
  const feed = async () => {
    while (!stopped) {
      if (!stdin.write('route show default\n')) await new Promise((r) => stdin.once('drain', r));
      await new Promise((r) => setTimeout(r, 2));
    }
    stdin.end();
  };
  const feeding = feed();
  return {
    firstChangeAfter(since: number) {
      return arrivals.find((t) => t >= since);
    },
    async stop() {
      stopped = true;
      await feeding;
      await sampler.exit;
      monitor.child.kill('SIGTERM');
      const lines = (await monitor.exit).stdout.split('\n').filter(Boolean);
      return {
        samples,
        missing,
        deletions: lines.filter((l) => /^Deleted default\b|^Deleted\s+(0\.0\.0\.0\/0|::\/0)\b/.test(l)),
        events: lines.length,
      };
    },
  };
}

// --- what a process does to the file system ---------------------------------------------------------------------

export interface FileCall {
  pid: number;
  call: string;
  /** The quoted path arguments, in order. */
  paths: string[];
  /** The open flags, for open/openat/creat. */
  flags: string[];
  line: string;
}

/** Runs `file args` under `strace -f -e trace=%file` and returns its exit and every file system call it made. */
export async function traceFileCalls(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; dir: string },
): Promise<{ exit: Exit; calls: FileCall[] }> {
  const out = `${options.dir}/strace.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const exit = await start('strace', ['-f', '-qq', '-s', '4096', '-o', out, '-e', 'trace=%file', file, ...args], {
    env: options.env,
  }).exit;
  const calls: FileCall[] = [];
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
    if (!m) continue; // "<... resumed>" halves carry no arguments
    const paths = [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((p) => p[1]);
    const flags = /\b(O_[A-Z_|]+)/.exec(m[3])?.[1].split('|') ?? [];
    calls.push({ pid: Number(m[1]), call: m[2], paths, flags, line });
  }
  return { exit, calls };
}

// --- the CLI in process ----------------------------------------------------------------------------------------------

export interface InProcessResult {
  code: number | 'hung';
  out: string[];
  err: string[];
  ms: number;
}

/**
 * runCli(args, io, COMMANDS) in this process, as main.ts has it run (an error thrown out of it is what main.ts would print as
 * an internal error: recorded as exit 1 with that line). A call that takes longer than `timeoutMs` is 'hung'.
 */
export async function runInProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 10_000,
): Promise<InProcessResult> {
  const { runCli } = await import('../../src/cli/run.js');
  const { COMMANDS } = await import('../../src/cli/commands/index.js');
  const out: string[] = [];
  const err: string[] = [];
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), timeoutMs)));
  const code = await Promise.race([
    runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env }, COMMANDS).catch((e: unknown) => {
      err.push(`redirect-gateway: internal error: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }),
    hung,
  ]);
  clearTimeout(timer);
  return { code, out, err, ms: performance.now() - started };
}
