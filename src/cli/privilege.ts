// Whether this process may change the network (CAP_NET_ADMIN in its effective set, as root has), so that a
// user without it hears "needs root" before anything is tried, not what the first refused step happened to be.
export { hasNetAdmin, NEEDS_ROOT } from '../privilege.js';

/** The commands that change the network or read root's state, and any command given another namespace. */
const PRIVILEGED = new Set(['up', 'down', 'status', 'follow', 'serve', 'unserve', 'hook']);

export function needsNetAdmin(command: string, args: readonly string[]): boolean {
  return PRIVILEGED.has(command) || args.some((a) => a === '--netns' || a.startsWith('--netns='));
}
