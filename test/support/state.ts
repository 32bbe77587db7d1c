// The product's state files, as tests see them: one directory, each file named after the namespace it belongs
// to by the namespace's cookie (SO_NETNS_COOKIE: `${STATE_DIR}/${key}_...`: `${key}_vpn.json`, `${key}_.lock`),
// which the kernel never gives to another namespace. The key is read here independently of the product: by
// Python's getsockopt on a netlink socket made inside the namespace (`ip netns exec`).
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { netnsExec } from './netns.js';

export const STATE_DIR = '/run/redirect-gateway';

const COOKIE = [
  'import socket',
  's = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)',
  "print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), 'little'))", // 71: SO_NETNS_COOKIE
].join('; ');

/** The key of a namespace's state files: its cookie, in decimal. */
export async function stateKey(ns: string): Promise<string> {
  const { stdout } = await netnsExec(ns, 'python3', ['-c', COOKIE]);
  return stdout.trim();
}

/** The names in the state directory that belong to a namespace (by its key), sorted. */
export async function stateFiles(key: string): Promise<string[]> {
  const names = existsSync(STATE_DIR) ? await readdir(STATE_DIR).catch(() => [] as string[]) : [];
  return names.filter((n) => n.startsWith(`${key}_`)).sort();
}

/** Removes every state file of a namespace (by its key): the one way tests clean up state. */
export async function forgetState(key: string): Promise<void> {
  for (const name of await stateFiles(key)) await rm(`${STATE_DIR}/${name}`, { force: true, recursive: true });
}
