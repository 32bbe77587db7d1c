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
  return `${STATE_DIR}/${nsId}_${encodeURIComponent(iface)}${suffix}`;
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
    .filter((n) => n.startsWith(`${nsId}_`) && n.endsWith('.json'))
    .map((n) => decodeURIComponent(n.slice(nsId.length + 1, -'.json'.length)))
    .filter((i) => i !== exceptIface);
  const states = await Promise.all(ifaces.map((i) => readState(nsId, i)));
  return states.filter((s): s is RedirectState => s !== undefined);
}

/** Write to a new file and rename it over the old one: a reader sees the old state or the new, never half. */
export async function writeState(nsId: string, state: RedirectState): Promise<void> {
  await ensureStateDir();
  const path = statePath(nsId, state.iface);
  const temp = `${path}.${process.pid}.tmp`;
  await fs.rm(temp, { force: true });
  const file = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await file.writeFile(`${JSON.stringify(state)}\n`);
  } finally {
    await file.close();
  }
  await fs.rename(temp, path);
}

export async function removeState(nsId: string, iface: string): Promise<void> {
  await fs.rm(statePath(nsId, iface), { force: true });
}
