// Faults injected by strace(1) into a process of its own: a system call delayed, made to "succeed" without reaching
// the kernel, or the process SIGKILLed as it enters the call. `-f` follows every thread and child; the trace itself
// goes to /dev/null. Not --seccomp-bpf (which stops the tracee only at the traced calls): strace 6.1 then fails to
// inject into calls of the main thread, where the state file and the small netlink requests are done.
import { CLI } from './cli.js';
import { type Exit, type RunOptions, type Running, start } from './exec.js';

/**
 * The calls the addon sends a netlink request with (sendto: the pipelined changes): the first of either is the
 * first request. strace counts each call on its own (per thread too): `when=k` on both is the k-th of either.
 */
export const NETLINK_SEND = 'sendmsg,sendto';

/**
 * `file args` under strace with `-e inject=CALLS:ACTION` on `calls` (a comma-separated list). `action` in strace's
 * words: `signal=KILL:when=3` (killed entering the third), `retval=1` (every one swallowed),
 * `delay_enter=5000000:when=1` (the first held for 5 s).
 */
export function startInjected(
  calls: string,
  action: string,
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Running {
  const strace = ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${calls}`, '-e', `inject=${calls}:${action}`];
  return start('strace', [...strace, file, ...args], options);
}

/** The CLI (`node dist/cli/main.js ARGS`) under strace: see startInjected. */
export function startCliInjected(
  calls: string,
  action: string,
  args: readonly string[],
  options?: RunOptions,
): Running {
  return startInjected(calls, action, process.execPath, [CLI, ...args], options);
}

/** The CLI SIGKILLed as it enters its `when`-th call among `calls` (unless it ends before); its Exit. */
export function cliKilledAt(calls: string, when: number, args: readonly string[]): Promise<Exit> {
  return startCliInjected(calls, `signal=KILL:when=${when}`, args).exit;
}

/** Whether strace's tracee was SIGKILLed: strace ends as its tracee did, by SIGKILL (or with 137 when it cannot). */
export function wasKilled(exit: Exit): boolean {
  return exit.signal === 'SIGKILL' || exit.code === 128 + 9;
}
