// What the real-tincd suites share: the tincd they run, when they skip themselves, install-hook as a user runs it,
// and the source address the internet host's echo sees.
import { CLI } from './cli.js';
import { type Exit, findProgram, run } from './exec.js';
import { ADDRESSES, ECHO_PORT, findTincd, type NetnsProcess, startUdpEcho, type TincWorld, udpProbe } from './tinc.js';

/** tincd, when installed. */
export const TINCD = findTincd();

/**
 * Whether a real-tincd suite skips itself: tincd or one of `programs` is missing and this is not CI (under CI the
 * suite runs and fails: it must not pass by being skipped).
 */
export function skipWithout(...programs: string[]): boolean {
  return process.env.CI !== 'true' && (!TINCD || programs.some((p) => !findProgram(p)));
}

/** `install-hook --node server --confbase CONFBASE FLAGS...`, run by node as a user does; rejects unless it exits 0. */
export function installHook(confbase: string, ...flags: string[]): Promise<Exit> {
  return run(process.execPath, [CLI, 'install-hook', '--node', 'server', '--confbase', confbase, ...flags]);
}

/** Starts the world's UDP echo on its internet host. */
export function startInternetEcho(world: TincWorld): Promise<NetnsProcess> {
  return startUdpEcho(world.ns.inet, ADDRESSES.internetHost, ECHO_PORT);
}

/** The source address the internet host's echo saw for a datagram from `ns`, or 'no answer'. */
export function internetSource(ns: string): Promise<string> {
  return udpProbe(ns, ADDRESSES.internetHost, ECHO_PORT).catch(() => 'no answer');
}
