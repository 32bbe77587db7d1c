// What `up` was asked for, kept under /run (tmpfs: gone at reboot, like the routes) for `down` and `status`.
// The kernel's routes stay the truth: a missing, stale or garbled file only means less to go on.
import { constants, promises as fs } from 'node:fs';
import type { Family } from '../address.js';
import { RefusedError } from '../errors.js';

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
}

/** /run is shared by every namespace: state is keyed by the namespace's identity, not its name. */
export async function namespaceId(netns?: string): Promise<string> {
  const path = netns === undefined ? '/proc/self/ns/net' : netns.startsWith('/') ? netns : `/run/netns/${netns}`;
  return String((await fs.stat(path)).ino);
}

export function statePath(nsId: string, iface: string, suffix = '.json'): string {
  // '.' is escaped too, so that no interface's name can end in another file's suffix.
  return `${STATE_DIR}/${nsId}_${encodeURIComponent(iface).replace(/\./g, '%2E')}${suffix}`;
}

/** Creates the directory 0700, and refuses to work through a symbolic link or someone else's directory. */
export async function ensureStateDir(): Promise<void> {
  await fs.mkdir(STATE_DIR, { mode: 0o700 }).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
  const st = await fs.lstat(STATE_DIR);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) {
    throw new RefusedError(`${STATE_DIR} is not a directory of ours; refusing to keep state there`);
  }
  if ((st.mode & 0o777) !== 0o700) await fs.chmod(STATE_DIR, 0o700);
}

function isState(value: unknown): value is RedirectState {
  const s = value as RedirectState;
  return (
    typeof s === 'object' && s !== null && s.version === 1 && typeof s.iface === 'string' &&
    typeof s.remote === 'string' && Array.isArray(s.families) && typeof s.gateways === 'object' &&
    s.gateways !== null && typeof s.protocol === 'number' && Array.isArray(s.exceptions) &&
    s.exceptions.every((e) => typeof e === 'string') && (s.uplink === undefined || typeof s.uplink === 'string')
  );
}

async function readFileNoFollow(path: string): Promise<string | undefined> {
  let file;
  try {
    file = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
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
  const names = await fs.readdir(STATE_DIR).catch(() => [] as string[]);
  const ifaces = names
    .filter((n) => n.startsWith(`${nsId}_`) && n.endsWith('.json') && !n.endsWith(PEERS))
    .map((n) => decodeURIComponent(n.slice(nsId.length + 1, -'.json'.length)))
    .filter((i) => i !== exceptIface);
  const states = await Promise.all(ifaces.map((i) => readState(nsId, i)));
  return states.filter((s): s is RedirectState => s !== undefined);
}

/** Write to a new file and rename it over the old one: a reader sees the old state or the new, never half. */
async function writeJson(path: string, value: unknown): Promise<void> {
  await ensureStateDir();
  const temp = `${path}.${process.pid}.tmp`;
  await fs.rm(temp, { force: true });
  const file = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await file.writeFile(`${JSON.stringify(value)}\n`);
  } finally {
    await file.close();
  }
  await fs.rename(temp, path);
}

export function writeState(nsId: string, state: RedirectState): Promise<void> {
  return writeJson(statePath(nsId, state.iface), state);
}

export async function removeState(nsId: string, iface: string): Promise<void> {
  await fs.rm(statePath(nsId, iface), { force: true });
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
    return Array.isArray(value) ? value.filter((p): p is Peer => typeof p?.node === 'string' && typeof p?.address === 'string') : [];
  } catch {
    return [];
  }
}

export function writePeers(nsId: string, iface: string, peers: Peer[]): Promise<void> {
  return writeJson(statePath(nsId, iface, PEERS), peers);
}
