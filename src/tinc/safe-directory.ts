// tincd runs the scripts install-hook writes as root: a directory that another user can write (or owns) would let
// them put their own in their place. As OpenSSH checks a key file's path: the directory and every one above it must
// belong to root (or to us) and be writable by no one else; above it, a sticky directory (/tmp) is fine, since no
// one else can rename or remove what is ours in it.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { RefusedError } from '../errors.js';

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

export async function expectSafeDirectory(dir: string): Promise<void> {
  const real = await fs.realpath(dir);
  const trusted = new Set([0, process.geteuid?.() ?? 0]);
  for (let at = real, below = false; ; at = dirname(at), below = true) {
    const stat = await fs.stat(at);
    const refuse = (why: string, fix: string) =>
      new RefusedError(`refusing to write scripts that tincd runs as root into ${real}: ${at} ${why} (${fix})`);
    if (!trusted.has(stat.uid)) throw refuse(`belongs to uid ${stat.uid}, not root`, `chown root ${at}`);
    if (stat.mode & WRITABLE_BY_OTHERS && !(below && stat.mode & STICKY)) {
      const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
      throw refuse(`is writable by others (mode ${mode})`, `chmod go-w ${at}`);
    }
    if (at === '/') return;
  }
}
