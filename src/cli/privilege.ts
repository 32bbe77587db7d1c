// Whether this process may change the network (CAP_NET_ADMIN in its effective set, as root has), so that a
// user without it hears "needs root" before anything is tried, not what the first refused step happened to be.
import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12n;

export const NEEDS_ROOT = 'needs root (CAP_NET_ADMIN)';

/** The commands that change the network or read root's state, and any command given another namespace. */
const PRIVILEGED = new Set(['up', 'down', 'status', 'follow', 'serve', 'unserve', 'hook']);

export function needsNetAdmin(command: string, args: readonly string[]): boolean {
  return PRIVILEGED.has(command) || args.some((a) => a === '--netns' || a.startsWith('--netns='));
}

export function hasNetAdmin(): boolean {
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1];
  return effective !== undefined && ((BigInt(`0x${effective}`) >> CAP_NET_ADMIN) & 1n) === 1n;
}
