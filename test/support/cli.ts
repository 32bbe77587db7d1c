// Running the CLI the way a user does: `node dist/cli/main.js ARGS`, as a process of its own (see exec.ts).
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { type Exit, type RunOptions, type Running, runStatus, start } from './exec.js';
import { REPO } from './package.js';

export const CLI = join(REPO, 'dist/cli/main.js');

/** What install-hook says on success when its scripts run this checkout's main.js, as they do in every test. */
export const CHECKOUT_WARNING = `warning: the scripts run ${CLI}, inside the git checkout ${REPO}: tinc breaks if it moves or goes; install the package (npm install -g) and run install-hook again from there\n`;

/** Runs the CLI to its end: its Exit, whatever the exit status. */
export function cli(args: readonly string[], options: RunOptions = {}): Promise<Exit> {
  return runStatus(process.execPath, [CLI, ...args], options);
}

/**
 * `up IFACE REMOTE --netns NS --follow`, which must succeed: the pid of the follower it started, killed at the end
 * of the test if the test has not (its death is what some tests are about).
 */
export async function upFollowed(iface: string, remote: string, ns: string): Promise<number> {
  const up = await cli(['up', iface, remote, '--netns', ns, '--follow']);
  if (up.code !== 0) throw new Error(`up --follow failed (${up.code}): ${up.stderr}`);
  const pid = Number(/^follower: pid (\d+)/m.exec(up.stdout)?.[1]);
  defer(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  return pid;
}

/** Starts the CLI, to watch or kill it while it runs. */
export function startCli(args: readonly string[], options: RunOptions = {}): Running {
  return start(process.execPath, [CLI, ...args], options);
}

/**
 * The CLI, SIGKILLed `delayMs` after its start unless it ends first. The kill is timed by coreutils' timeout(1)
 * (a kernel timer in a process of its own), not by this process' event loop, which can be late by tens of
 * milliseconds under load. The result's signal is SIGKILL when the kill came (timeout kills its own process
 * group, itself included), else the CLI's own exit code.
 */
export function startCliKilledAfter(
  args: readonly string[],
  delayMs: number,
  options: { env?: NodeJS.ProcessEnv } = {},
): Running {
  const seconds = Math.max(delayMs, 0.01) / 1000; // timeout 0 would mean "no timeout"
  return start('timeout', ['-s', 'KILL', seconds.toFixed(5), process.execPath, CLI, ...args], options);
}
