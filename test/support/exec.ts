// Running programs from tests: execFile, never a shell, with stderr in the error when one fails.
import { execFile } from 'node:child_process';

export interface RunOptions {
  /** Written to the program's standard input. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the program after this long (default 20 s). */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A program that exited non-zero (or was killed): what it was, its exit code, and what it said. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly command: string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const how = signal ? `killed by ${signal}` : `exit ${exitCode}`;
    const said = (stderr.trim() || stdout.trim()).slice(0, 4000);
    super(`${command.join(' ')}: ${how}${said ? `: ${said}` : ''}`);
  }
}

/** Runs `file args...` and resolves with its output, or rejects with a CommandError. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 20_000,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const e = error as NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null };
        if (typeof e.code === 'string') return reject(error); // ENOENT and friends: the program is missing
        reject(new CommandError([file, ...args], e.code ?? null, e.signal ?? null, stdout, stderr));
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin?.end();
  });
}

/** Like `run`, but resolves with the exit code and output whatever the program's exit status. */
export async function runStatus(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult & { exitCode: number | null; signal: NodeJS.Signals | null }> {
  try {
    return { ...(await run(file, args, options)), exitCode: 0, signal: null };
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    return { stdout: e.stdout, stderr: e.stderr, exitCode: e.exitCode, signal: e.signal };
  }
}
