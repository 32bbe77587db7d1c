// The product's state files, as tests see them: one directory, each file named after the namespace it belongs
// to, by the inode number of the namespace (`${STATE_DIR}/${inode}_...`: `${inode}_vpn.json`, `${inode}_.lock`).
//
// A deleted namespace's inode is soon given to a new one, so state left behind by one namespace can look like
// the next one's (see the reliability report). Tests that look at state forget a namespace's files when they
// start and end, and deleteNetns (netns.ts) forgets them before the namespace goes.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';

export const STATE_DIR = '/run/redirect-gateway';

/** The names in the state directory that belong to a namespace (by its inode), sorted. */
export async function stateFiles(nsInode: number | string): Promise<string[]> {
  const names = existsSync(STATE_DIR) ? await readdir(STATE_DIR).catch(() => [] as string[]) : [];
  return names.filter((n) => n.startsWith(`${nsInode}_`)).sort();
}

/** Removes every state file of a namespace (by its inode): the one way tests clean up state. */
export async function forgetState(nsInode: number | string): Promise<void> {
  for (const name of await stateFiles(nsInode)) await rm(`${STATE_DIR}/${name}`, { force: true, recursive: true });
}
