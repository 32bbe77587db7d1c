// Whether this process may change the network and read root's state (CAP_NET_ADMIN in its effective set, as root
// has): what the CLI says before anything is tried, and what the library's read of that state needs.
import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12n;

export const NEEDS_ROOT = 'needs root (CAP_NET_ADMIN)';

export function hasNetAdmin(): boolean {
  // UTF-8: Node reads a file of no size (procfs) in one native call for it, 0.25 ms sooner than for latin1.
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return effective !== undefined && ((BigInt(`0x${effective}`) >> CAP_NET_ADMIN) & 1n) === 1n;
}
