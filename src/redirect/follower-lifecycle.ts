// One follower per namespace and interface, across processes: started by `up --follow` and the hook (a process
// of its own) or a systemd unit (`redirect-gateway follow`), found by `status`, ended by `down`.
import { RefusedError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import type { RouteSocket } from '../netlink/index.js';
import { follow, type Follower, type FollowOptions } from './follow.js';
import { claimFollower, runningFollower, stopFollower, type FollowerInfo } from './follower-file.js';
import { checkCommon, socketOf, withSocket, type CommonOptions } from './options.js';
import { readState, upOptionsOf } from './state.js';

export type { FollowerInfo } from './follower-file.js';

function inNamespace<T>(options: CommonOptions, work: (nl: RouteSocket, nsId: string) => Promise<T>): Promise<T> {
  return withSocket(checkCommon(options), work);
}

/** The follower running for the redirect on `iface` (its pid, and tincd's), or undefined. */
export function followerOf(iface: string, options: CommonOptions = {}): Promise<FollowerInfo | undefined> {
  const name = checkInterfaceName(iface);
  return inNamespace(options, async (_, nsId) => runningFollower(nsId, name));
}

/** Ends the follower of the redirect on `iface`, if one runs: its pid, or undefined. */
export function endFollower(iface: string, options: CommonOptions = {}): Promise<number | undefined> {
  const name = checkInterfaceName(iface);
  return inNamespace(options, (_, nsId) => stopFollower(nsId, name));
}

/**
 * Becomes the one follower of `iface` in its namespace: undefined when another runs. Without `remote`, the
 * redirect is the one the state file records (and its options). `tincd`: the pid of the tincd whose hook
 * started it, recorded beside its own.
 */
export async function followAlone(
  iface: string,
  remote: string | undefined,
  options: FollowOptions = {},
): Promise<Follower | undefined> {
  const name = checkInterfaceName(iface);
  const { tincd, ...given } = options;
  // Only the options given: an undefined one must not hide what the state recorded.
  const rest: FollowOptions = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const { nl, nsId, close: closeOwn } = await socketOf(checkCommon(rest));
  const release = await claimFollower(nsId, name, { pid: process.pid, ...(tincd ? { tincd } : {}) });
  if (!release) {
    closeOwn();
    return undefined;
  }
  try {
    const state = remote === undefined ? readState(nsId, name) : undefined;
    if (remote === undefined && !state) throw new RefusedError(`${name} is not redirected: give the server's address`);
    const follower = await follow(name, remote ?? state!.remote, {
      ...(state ? upOptionsOf(state) : {}),
      ...rest,
      socket: nl,
      tincd,
    });
    return {
      iface: name,
      ended: follower.ended,
      async close() {
        await follower.close();
        release();
        closeOwn();
      },
    };
  } catch (e) {
    release();
    closeOwn();
    throw e;
  }
}
