// iproute2 from tests: `ip -n NS ...` with execFile (no shell), its JSON output parsed, and batch files.
// Test code may use iproute2 (product code may not): it is the oracle and the topology builder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';

/**
 * A named network namespace (under /run/netns), or `null` for the runner's own namespace: the fresh,
 * private one that test/run made, never the machine's.
 */
export type Netns = string | null;

function nsArgs(ns: Netns): string[] {
  if (ns === null) return [];
  if (typeof ns !== 'string' || ns === '' || ns.startsWith('-')) throw new Error(`bad namespace name: ${ns}`);
  return ['-n', ns];
}

/** `ip -n NS args...`: resolves with stdout; rejects with ip's message on failure. */
export async function ip(ns: Netns, ...args: string[]): Promise<string> {
  return (await run('ip', [...nsArgs(ns), ...args])).stdout;
}

/** `ip -j -n NS args...`, parsed (T: what the caller knows ip prints). Commands that print nothing give []. */
export async function ipJson<T = unknown>(ns: Netns, ...args: string[]): Promise<T> {
  const out = (await run('ip', ['-j', ...nsArgs(ns), ...args])).stdout.trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/**
 * `ip -n NS -batch FILE`: one ip command per line (without the leading `ip`), e.g. 100k route adds.
 * Beware: iproute2 6.1's batch mode can resolve a protocol name to the number parsed on an earlier line
 * (a stale cache in rtnl_rtprot_a2n: `proto static`, then `proto 157`, then `proto static` gives 157).
 * Write protocols as numbers in batch files (`proto 4`, not `proto static`).
 */
export async function ipBatch(
  ns: Netns,
  commands: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-batch-'));
  try {
    const file = join(dir, 'commands');
    await writeFile(file, commands.join('\n') + '\n');
    await run('ip', [...nsArgs(ns), '-batch', file], { timeoutMs: options.timeoutMs ?? 120_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
