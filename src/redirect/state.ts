// What `up` was asked for, kept under /run (tmpfs: gone at reboot, like the routes) for `down` and `status`.
// The kernel's routes stay the truth: a missing, stale or garbled file only means less to go on.
// Synchronous file calls: the directory is a tmpfs, each call takes microseconds, and a trip through the
// libuv pool for each would cost more than the work (the redirect's start-up is on tincd's critical path).
import * as fs from 'node:fs';

const { constants } = fs;
import { parseAddress, parsePrefix, type Family } from '../address.js';
import { RefusedError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import type { RouteSocket } from '../netlink/index.js';
import { TINC_PORT } from './lockdown/options.js';
import type { CheckedUp } from './options.js';

export const STATE_DIR = '/run/redirect-gateway';

export interface RedirectState {
  version: 1;
  iface: string;
  remote: string;
  families: Family[];
  /** The VPN gateway per family (switch style). */
  gateways: Partial<Record<'4' | '6', string>>;
  protocol: number;
  /** Exception routes (CIDR) that belong to this redirect: the server's, and later the mesh peers'. */
  exceptions: string[];
  /** The interface the exception routes leave by, to find the original path again while redirected. */
  uplink?: string;
  /**
   * Routes of ours that the change in progress deletes (an old server's exception route, the other family's
   * half-routes): recorded with the new state before any route changes, so that a run killed half way leaves
   * nothing the next one cannot find, and dropped once they are gone.
   */
  leftovers?: { dst: string; dev?: string }[];
  /** `up --kill-switch`: fallback routes of ours refuse what the VPN does not carry, until `down`. */
  killSwitch?: boolean;
  /** `up --block-ipv6`: IPv6 beyond the LAN is refused while the redirect is active. */
  blockIpv6?: boolean;
  /** `up --lockdown`: our nf_tables table refuses what leaves outside the VPN, until `down`. */
  lockdown?: boolean;
  /** The LAN policy, when not 'allow'. */
  lan?: 'private' | 'block';
  /** The server's tinc port, when not 655. */
  serverPort?: number;
  /** SERVER-down ran under the kill switch (redirect.suspend): no half-routes until the next `up`. */
  suspended?: boolean;
  /** 'rules' for `--strategy rules` (absent: halves, as older files are); then exceptions are the addresses with rules. */
  strategy?: 'halves' | 'rules';
  /** Under 'rules': our table and the first of our rule priorities. */
  table?: number;
  priority?: number;
}

/** What every redirect's state records of what `up` was asked for; each strategy adds its own fields. */
export function baseRecord(
  o: CheckedUp,
  exceptions: string[],
): Omit<RedirectState, 'strategy' | 'table' | 'priority' | 'uplink' | 'leftovers'> {
  return {
    version: 1,
    iface: o.iface,
    remote: o.remote.text,
    families: o.families,
    gateways: { 4: o.gateways[4], 6: o.gateways[6] },
    protocol: o.protocol,
    exceptions,
    ...(o.killSwitch ? { killSwitch: true } : {}),
    ...(o.blockIpv6 ? { blockIpv6: true } : {}),
    ...(o.lockdown ? { lockdown: true } : {}),
    ...(o.lan !== 'allow' ? { lan: o.lan } : {}),
    ...(o.serverPort !== TINC_PORT ? { serverPort: o.serverPort } : {}),
  };
}

/**
 * /run is shared by every namespace, and one interface name exists in many: a namespace's files are named by its
 * cookie, which the kernel never gives to another namespace until it reboots (and /run, a tmpfs, goes with the
 * reboot). Its inode number, the fallback on kernels without cookies (before 5.14), is given to the next
 * namespace made once this one is gone, whose files these would then seem to be.
 */
export function namespaceKey(nl: RouteSocket): string {
  if (nl.netnsCookie !== undefined) return nl.netnsCookie;
  const netns = nl.netns;
  const path = netns === undefined ? '/proc/self/ns/net' : netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  return `inode${fs.statSync(path).ino}`;
}

/** Every file of a namespace's starts so: `<nsId>_`. */
function namespacePrefix(nsId: string): string {
  return `${nsId}_`;
}

/**
 * `<nsId>_<iface><suffix>`. '.' is escaped too, so that no interface's name can end in another file's suffix;
 * the empty name, which no interface has, names the namespace's own files (its lock).
 */
export function statePath(nsId: string, iface: string, suffix = '.json'): string {
  return `${STATE_DIR}/${namespacePrefix(nsId)}${encodeURIComponent(iface).replace(/\./g, '%2E')}${suffix}`;
}

/** Creates the directory 0700, and refuses to work through a symbolic link or someone else's directory. */
export async function ensureStateDir(): Promise<void> {
  try {
    fs.mkdirSync(STATE_DIR, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(STATE_DIR);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw new RefusedError(`${STATE_DIR} is not a directory of ours; refusing to keep state there`);
  }
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(STATE_DIR, 0o700);
}

/** Whether `test` accepts the value without throwing (the parsers below throw on bad input). */
function parses(test: () => unknown): boolean {
  try {
    test();
    return true;
  } catch {
    return false;
  }
}

const isAddress = (text: unknown): boolean => typeof text === 'string' && parses(() => parseAddress(text));

/**
 * A state as `up` writes it, checked field by field: a file that is not exactly that (another version, a value
 * edited by hand, a corruption that still parses as JSON) is no state at all, and the kernel's view is used.
 */
function isState(value: unknown): value is RedirectState {
  const s = value as RedirectState;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || s.version !== 1) return false;
  const families = s.families;
  const gateways = s.gateways as Record<string, unknown>;
  return (
    typeof s.iface === 'string' &&
    parses(() => checkInterfaceName(s.iface)) &&
    isAddress(s.remote) &&
    Array.isArray(families) &&
    families.length > 0 &&
    families.every((f) => f === 4 || f === 6) &&
    new Set(families).size === families.length &&
    typeof gateways === 'object' &&
    gateways !== null &&
    !Array.isArray(gateways) &&
    Object.entries(gateways).every(
      ([k, g]) => (k === '4' || k === '6') && (g === undefined || g === null || isAddress(g)),
    ) &&
    Number.isInteger(s.protocol) &&
    s.protocol >= 0 &&
    s.protocol <= 255 &&
    Array.isArray(s.exceptions) &&
    s.exceptions.every((e) => typeof e === 'string' && parses(() => parsePrefix(e))) &&
    (s.strategy === undefined || s.strategy === 'halves' || s.strategy === 'rules') &&
    [s.table, s.priority].every((n) => n === undefined || (Number.isInteger(n) && n > 0 && n <= 0xffffffff)) &&
    (s.strategy !== 'rules' || (s.table !== undefined && s.priority !== undefined)) &&
    [s.killSwitch, s.blockIpv6, s.suspended, s.lockdown].every((b) => b === undefined || typeof b === 'boolean') &&
    (s.lan === undefined || s.lan === 'private' || s.lan === 'block') &&
    (s.serverPort === undefined || (Number.isInteger(s.serverPort) && s.serverPort > 0 && s.serverPort <= 65535)) &&
    (s.uplink === undefined || (typeof s.uplink === 'string' && parses(() => checkInterfaceName(s.uplink)))) &&
    (s.leftovers === undefined ||
      (Array.isArray(s.leftovers) &&
        s.leftovers.every(
          (l) =>
            typeof l === 'object' &&
            l !== null &&
            parses(() => parsePrefix(l.dst)) &&
            (l.dev === undefined || parses(() => checkInterfaceName(l.dev))),
        )))
  );
}

/** A state file is small; anything bigger is not one of ours. */
const MAX_STATE_BYTES = 1 << 20;

/**
 * The text of a state file, or undefined when there is none that could be ours: never through a symbolic link
 * (O_NOFOLLOW), never blocking on a FIFO someone left there (O_NONBLOCK), and only from a regular file of a sane
 * size. Whatever else is found there (a directory, a device, a huge file) reads as "no state".
 */
async function readFileNoFollow(path: string): Promise<string | undefined> {
  let fd;
  try {
    fd = fs.openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_STATE_BYTES) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export async function readState(nsId: string, iface: string): Promise<RedirectState | undefined> {
  const text = await readFileNoFollow(statePath(nsId, iface));
  try {
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return isState(value) && value.iface === iface ? value : undefined;
  } catch {
    return undefined; // a truncated or corrupted file: fall back to the kernel's view
  }
}

/** Every state recorded for this namespace, but the one of `exceptIface`. */
export async function otherStates(nsId: string, exceptIface: string): Promise<RedirectState[]> {
  const names = stateDirEntries();
  const ifaces = names
    .filter((n) => n.startsWith(namespacePrefix(nsId)) && n.endsWith('.json') && !n.endsWith(PEERS))
    .map((n) => decodeURIComponent(n.slice(namespacePrefix(nsId).length, -'.json'.length)))
    .filter((i) => i !== exceptIface);
  const states = await Promise.all(ifaces.map((i) => readState(nsId, i)));
  return states.filter((s): s is RedirectState => s !== undefined);
}

/**
 * Write to a new file and rename it over the old one: a reader sees the old state or the new, never half.
 * The temporary file is created O_EXCL | O_NOFOLLOW, 0600, so no link planted at its name is followed; the
 * rename replaces whatever is at the final name (a planted symbolic link included) without following it.
 * Callers hold the interface's lock (lock.ts), so any temporary file of this name still there was left by a
 * writer that died (a killed `up`) and is removed.
 */
async function writeJson(path: string, value: unknown): Promise<void> {
  await ensureStateDir();
  await removeTemporaries(path);
  const temp = `${path}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(value)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, path);
  } catch (e) {
    // Something that is not a file took the name (a directory): it is no state of ours; replace it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    await removeEntry(path);
    fs.renameSync(temp, path);
  }
}

/** Removes whatever is at `path` in the state directory, without following a link; nothing there is fine. */
async function removeEntry(path: string): Promise<void> {
  fs.rmSync(path, { force: true, recursive: true });
}

function stateDirEntries(): string[] {
  try {
    return fs.readdirSync(STATE_DIR);
  } catch {
    return [];
  }
}

/** The temporary files of earlier writers of `path` that died before their rename. */
async function removeTemporaries(path: string): Promise<void> {
  const prefix = `${path.slice(STATE_DIR.length + 1)}.`;
  const names = stateDirEntries();
  const stale = names.filter((n) => n.startsWith(prefix) && /^\d+\.tmp$/.test(n.slice(prefix.length)));
  await Promise.all(stale.map((n) => removeEntry(`${STATE_DIR}/${n}`)));
}

export function writeState(nsId: string, state: RedirectState): Promise<void> {
  return writeJson(statePath(nsId, state.iface), state);
}

/** Forgets the redirect's state (called under the interface's lock, like writeState). */
export async function removeState(nsId: string, iface: string): Promise<void> {
  const path = statePath(nsId, iface);
  await removeEntry(path);
  await removeTemporaries(path);
}

/**
 * Removes every file kept for the namespace: its states, peers, temporary files and lock. For a namespace about
 * to be deleted, with no redirect running in it.
 */
export async function removeNamespaceFiles(nsId: string): Promise<void> {
  const prefix = namespacePrefix(nsId);
  for (const name of stateDirEntries()) if (name.startsWith(prefix)) await removeEntry(`${STATE_DIR}/${name}`);
}

/** A mesh peer (tinc's host-up): another node whose real address must bypass the VPN while it is redirected. */
export interface Peer {
  node: string;
  address: string;
}

const PEERS = '.peers.json';

/** Peers outlive a redirect: they are known while they are reachable, whether or not the redirect is up. */
export async function readPeers(nsId: string, iface: string): Promise<Peer[]> {
  const text = await readFileNoFollow(statePath(nsId, iface, PEERS));
  try {
    const value: unknown = text === undefined ? [] : JSON.parse(text);
    // Only well-formed peers: a node name as tinc has them, and an address.
    return Array.isArray(value)
      ? value.filter((p): p is Peer => typeof p?.node === 'string' && /^\w+$/.test(p.node) && isAddress(p?.address))
      : [];
  } catch {
    return [];
  }
}

export function writePeers(nsId: string, iface: string, peers: Peer[]): Promise<void> {
  return writeJson(statePath(nsId, iface, PEERS), peers);
}

/** Another module's file for the interface (its own suffix, like '.serve.json'), read without following links. */
export function readStateFile(nsId: string, iface: string, suffix: string): Promise<string | undefined> {
  return readFileNoFollow(statePath(nsId, iface, suffix));
}

/** Written as the redirect's state is (atomically, 0600, never through a link), under the namespace's lock. */
export function writeStateFile(nsId: string, iface: string, suffix: string, value: unknown): Promise<void> {
  return writeJson(statePath(nsId, iface, suffix), value);
}

export async function removeStateFile(nsId: string, iface: string, suffix: string): Promise<void> {
  const path = statePath(nsId, iface, suffix);
  await removeEntry(path);
  await removeTemporaries(path);
}

/** The interfaces that have a file with this suffix in the namespace. */
export function stateFileIfaces(nsId: string, suffix: string): string[] {
  return stateDirEntries()
    .filter((n) => n.startsWith(namespacePrefix(nsId)) && n.endsWith(suffix))
    .map((n) => decodeURIComponent(n.slice(namespacePrefix(nsId).length, -suffix.length)))
    .filter((i) => i !== '');
}
