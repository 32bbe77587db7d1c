// Running programs from tests, one way: spawn, never a shell, the output collected, a deadline that SIGKILLs.
//   start(file, args)      a process the test may watch, write to or kill while it runs (Running)
//   runStatus(file, args)  its Exit, whatever the exit status
//   run(file, args)        its Exit when it exits 0, else a CommandError (with stderr in the message)
// Every process ends in the one Exit type: code, signal, stdout, stderr, how long it ran, whether the deadline
// killed it.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  /** Written to the program's standard input, which is then closed (default: /dev/null, or see `stdin`). */
  input?: string;
  /** 'pipe': standard input stays open for the caller to write (`running.child.stdin`). */
  stdin?: 'pipe';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the program (SIGKILL) after this long (default 20 s); `null` for no deadline (a daemon). */
  timeoutMs?: number | null;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
  /** The deadline (timeoutMs) killed it. */
  timedOut: boolean;
}

export interface Running {
  child: ChildProcess;
  /** When spawn() returned (the program was exec'd), by performance.now(). */
  startedAt: number;
  /** Its stdout and stderr so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Both, interleaved as they arrived. */
  readonly output: string;
  /**
   * The process has exited (its 'exit'): a process it started may still hold its stdout open, so the output
   * in this Exit may be incomplete. Rejects when it could not be started.
   */
  exited: Promise<Exit>;
  /** The process has exited and its output pipes are closed: the output is complete. Rejects like `exited`. */
  exit: Promise<Exit>;
}

/** A program that exited non-zero (or was killed): what it was, and how it ended. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly command: readonly string[],
    readonly exit: Exit,
  ) {
    const how = exit.signal ? `killed by ${exit.signal}${exit.timedOut ? ' (deadline)' : ''}` : `exit ${exit.code}`;
    const said = (exit.stderr.trim() || exit.stdout.trim()).slice(0, 4000);
    super(`${command.join(' ')}: ${how}${said ? `: ${said}` : ''}`);
  }

  get stdout(): string {
    return this.exit.stdout;
  }

  get stderr(): string {
    return this.exit.stderr;
  }
}

/** Spawns `file args` (no shell), collecting its output; a deadline SIGKILLs it (timedOut says so). */
export function start(file: string, args: readonly string[], options: RunOptions = {}): Running {
  const stdin = options.input !== undefined || options.stdin === 'pipe' ? 'pipe' : 'ignore';
  const child = spawn(file, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  const startedAt = performance.now();
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    output += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    output += d;
  });
  if (options.input !== undefined) {
    child.stdin!.on('error', () => undefined); // a program that exits without reading it
    child.stdin!.end(options.input);
  }
  let timedOut = false;
  const timeoutMs = options.timeoutMs === undefined ? 20_000 : options.timeoutMs;
  const timer =
    timeoutMs === null
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  failed.catch(() => undefined); // reported through exited and exit
  const ended = (event: 'exit' | 'close') =>
    Promise.race([
      failed,
      new Promise<Exit>((resolve) =>
        child.once(event, (code: number | null, signal: NodeJS.Signals | null) =>
          resolve({ code, signal, stdout, stderr, ms: performance.now() - startedAt, timedOut }),
        ),
      ),
    ]);
  const exited = ended('exit');
  // The deadline holds until the output is complete (a process it left behind may keep a pipe open).
  const exit = ended('close').finally(() => clearTimeout(timer));
  exited.catch(() => undefined); // a caller that waits for `exit` only still hears of a failed start
  return {
    child,
    startedAt,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get output() {
      return output;
    },
    exited,
    exit,
  };
}

/** Runs `file args...` to its end and resolves with its Exit, whatever its exit status. */
export function runStatus(file: string, args: readonly string[], options: RunOptions = {}): Promise<Exit> {
  return start(file, args, options).exit;
}

/** Runs `file args...` and resolves with its Exit when it exits 0, or rejects with a CommandError. */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<Exit> {
  const exit = await runStatus(file, args, options);
  if (exit.code !== 0) throw new CommandError([file, ...args], exit);
  return exit;
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a program in PATH or the usual system directories, or undefined. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** setpriv's words for "as nobody (uid and gid 65534, no groups), without a single capability". */
const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];

/** Runs `file args` as nobody without capabilities (setpriv): its Exit, whatever the exit status. */
export function runAsNobody(file: string, args: readonly string[], options: RunOptions = {}): Promise<Exit> {
  return runStatus(findProgram('setpriv') ?? 'setpriv', [...AS_NOBODY, file, ...args], options);
}
