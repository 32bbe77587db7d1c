// Named network namespaces for tests: uniquely named, lo up, deleted when the test (or file) is done,
// pass or fail. They live in the runner's private /run/netns, so even a leaked one dies with the runner.
import { stat } from 'node:fs/promises';
import { defer } from './cleanup.js';
import { type RunOptions, run } from './exec.js';
import { ip } from './ip.js';

let counter = 0;

/**
 * Creates a namespace named `rgt<pid>-<n>-<label>` (unique across parallel test workers) with lo up, and
 * registers its deletion (see cleanup.ts for when that runs). Returns the name.
 *
 * IPv6 duplicate address detection is off in it (accept_dad=0 for all and future interfaces): otherwise
 * every link-local address stays tentative for a second or two and its local route appears later, in the
 * middle of a test's before/after comparison.
 */
export async function createNetns(label = 'ns'): Promise<string> {
  if (!/^[a-z0-9-]{1,24}$/.test(label)) throw new Error(`bad namespace label: ${label}`);
  const name = `rgt${process.pid}-${++counter}-${label}`;
  await run('ip', ['netns', 'add', name]);
  defer(() => deleteNetns(name));
  await ip(name, 'link', 'set', 'lo', 'up');
  await netnsExec(
    name,
    'tee',
    ['/proc/sys/net/ipv6/conf/all/accept_dad', '/proc/sys/net/ipv6/conf/default/accept_dad'],
    {
      input: '0\n',
    },
  );
  return name;
}

/** Kills every process still in the namespace (a daemon a test started), then deletes it. Idempotent. */
export async function deleteNetns(name: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }))).stdout
    .split(/\s+/)
    .filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // (The product's state files of the namespace may stay: they are named by its cookie, which no later
  // namespace gets, and go with the sandbox's /run.)
  await run('ip', ['netns', 'delete', name]).catch((e: Error) => {
    if (!/No such file|not found|Cannot remove/i.test(e.message)) throw e;
  });
}

/** The namespaces that exist now (`ip netns list`), by name. */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter(Boolean);
}

/** Runs a program inside the namespace (`ip netns exec NS file args...`). */
export function netnsExec(ns: string, file: string, args: readonly string[] = [], options?: RunOptions) {
  return run('ip', ['netns', 'exec', ns, file, ...args], options);
}

/** /run/netns/NAME: what `netlink.open({ netns: NAME })` opens. */
export function netnsPath(ns: string): string {
  return `/run/netns/${ns}`;
}

/** The namespace's identity: the inode number of its nsfs file (as /proc/PID/ns/net shows it). */
export async function netnsInode(ns: string): Promise<number> {
  return (await stat(netnsPath(ns))).ino;
}

/** Turns on IPv4 and IPv6 forwarding inside the namespace (for router namespaces). */
export async function enableForwarding(ns: string): Promise<void> {
  // tee (coreutils) rather than sysctl (procps), which a minimal machine may lack. /proc/sys/net shows the
  // namespace of the process that opens it, here the one `ip netns exec` entered.
  await netnsExec(ns, 'tee', ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/forwarding'], {
    input: '1\n',
  });
}
