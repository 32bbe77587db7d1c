// A node's tincd run under `strace -f`, with a PATH that finds nothing (the scripts name everything absolutely),
// and the reader of its trace: which program made each execve. The oracle for "no process of ours executes any
// program".
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SANITIZER } from './sanitizer.js';
import { NetnsProcess, type TincNode, waitUntil } from './tinc.js';

const TRACED_CALLS = 'trace=execve,clone,clone3,fork,vfork';

/** strace's arguments that trace what execsByProgram reads into FILE. */
export function traceArgs(file: string): string[] {
  return ['-f', '-qq', '-e', TRACED_CALLS, '-o', file];
}

/**
 * From `strace -f -e trace=execve,clone,clone3,fork,vfork` output: each execve, with the program the calling
 * process was running when it made it (a child runs its parent's program until it executes its own). A vfork'd
 * child's execve may be written before its parent's clone returns: its caller is settled when that return comes.
 */
export function execsByProgram(trace: string, tracer: string): { caller: string; program: string }[] {
  const image = new Map<string, string>();
  const unsettled = new Map<string, { caller: string; program: string }>();
  const execs = [];
  for (const line of trace.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, call] = m;
    const exec = /^execve\("([^"]*)"/.exec(call);
    // Under test:asan, node is scripts/test-asan's wrapper, which executes the real node as node.real: the same
    // program going on, not one that node runs.
    if (exec && SANITIZER && exec[1].endsWith('/node.real')) continue;
    if (exec) {
      const caller = image.get(pid) ?? (image.size ? undefined : tracer);
      const entry = { caller: caller ?? '?', program: exec[1] };
      if (caller === undefined) unsettled.set(pid, entry);
      execs.push(entry);
      if (!/= -1 /.test(call)) image.set(pid, exec[1]);
      continue;
    }
    const clone = /^(?:clone3?|v?fork)\(.*\)\s+= (\d+)$|^<\.\.\. (?:clone3?|v?fork) resumed>.*= (\d+)$/.exec(call);
    if (!clone) continue;
    const child = clone[1] ?? clone[2];
    const parentImage = image.get(pid) ?? tracer;
    const early = unsettled.get(child);
    if (early) early.caller = parentImage;
    unsettled.delete(child);
    if (!image.has(child)) image.set(child, parentImage);
  }
  return execs;
}

/** tincd in the foreground in its node's namespace, under strace; its log, pid file and trace in its confbase. */
export class TracedTincd {
  readonly traceFile: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly process: NetnsProcess;

  constructor(
    tincd: string,
    readonly strace: string,
    readonly node: TincNode,
  ) {
    this.traceFile = join(node.confbase, 'execve.trace');
    this.logFile = join(node.confbase, 'tincd.log');
    this.pidFile = join(node.confbase, 'tincd.pid');
    const args = ['-c', node.confbase, '-D', '-d1', `--pidfile=${this.pidFile}`, `--logfile=${this.logFile}`];
    this.process = new NetnsProcess(
      `tincd ${node.name} (strace)`,
      node.ns,
      strace,
      [...traceArgs(this.traceFile), tincd, ...args],
      { PATH: '/nonexistent' },
    );
  }

  /** Everything tincd's scripts wrote to stdout and stderr so far. */
  get output(): string {
    return this.process.output;
  }

  log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  async diagnostics(): Promise<string> {
    return `--- ${this.process.label}: output\n${this.output}\n--- ${this.process.label}: log\n${await this.log()}`;
  }

  /** Waits until tincd listens (or has exited). */
  async started(): Promise<void> {
    await waitUntil(
      async () => /\bReady$/m.test(await this.log()) || !this.process.running,
      15_000,
      () => `${this.process.label} did not start`,
    );
    if (!this.process.running) throw new Error(`${this.process.label} exited at start\n${await this.diagnostics()}`);
  }

  /** A clean stop: SIGTERM to tincd itself (strace follows it out), then its exit and the last of its output. */
  async stop(): Promise<number | null> {
    process.kill(Number((await readFile(this.pidFile, 'utf8')).trim()), 'SIGTERM');
    await waitUntil(
      () => !this.process.running,
      15_000,
      () => `${this.process.label} did not exit within 15 s of SIGTERM`,
    );
    return (await this.process.stop('SIGTERM')).code;
  }

  /** Each execve in the trace, with the program that made it. */
  async execs(): Promise<{ caller: string; program: string }[]> {
    return execsByProgram(await readFile(this.traceFile, 'utf8'), this.strace);
  }
}
