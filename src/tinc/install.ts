// Writing tinc's host scripts: hosts/NODE-up and -down (and host-up/-down for a mesh) that run this
// installed executable with absolute paths, so tincd's minimal PATH cannot break them.
import { constants, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RefusedError } from '../errors.js';
import { readRegularFile } from './config.js';

export const MARKER = '# written by redirect-gateway install-hook';

export interface HookScript {
  path: string;
  content: string;
  /** The lines a script of the user's at this path would need (said when refusing to replace it). */
  lines?: string[];
}

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs this package's CLI: node and the real path of main.js. */
export async function cliCommand(): Promise<string[]> {
  const main = await fs.realpath(join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js'));
  return [process.execPath, main];
}

export function hookScript(path: string, command: string[], event: string, args: string[]): HookScript {
  const line = ['exec', ...[...command, 'hook', event, ...args].map(shellQuote)].join(' ');
  return { path, content: `#!/bin/sh\n${MARKER}\n${line}\n` };
}

async function readIfExists(path: string): Promise<string | undefined> {
  return readScript(path).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
}

/** A script's text (a FIFO put at its path is refused, not waited on). */
async function readScript(path: string): Promise<string> {
  return (await readRegularFile(path)).toString('utf8');
}

function refusal(s: HookScript): string {
  const what = `${s.path} exists and is not the script this would write`;
  if (!s.lines) return `${what} (use --force to replace it)`;
  const lines = s.lines.map((l) => `\`${l}\``).join(' then ');
  return `${what}: add ${s.lines.length > 1 ? 'these lines' : 'this line'} to it: ${lines} (or use --force to replace it)`;
}

/** A script install-hook wrote: its marker is the line after the shebang, as we write it (a mention elsewhere is not). */
export function isOurScript(content: string): boolean {
  return content.startsWith(`#!/bin/sh\n${MARKER}\n`);
}

/**
 * Refuses (before anything is written) a script of someone else's at a path without force, and anything but a
 * regular file there: a symbolic link is never written through (with force, the link itself is replaced). A
 * script of ours is replaced: that is how options change.
 */
export async function checkScripts(scripts: HookScript[], force: boolean): Promise<void> {
  for (const s of scripts) {
    const stat = await fs.lstat(s.path).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (!stat || force) {
      if (stat && !stat.isFile() && !stat.isSymbolicLink()) throw new RefusedError(`${s.path} is not a file`);
      continue;
    }
    if (stat.isSymbolicLink()) {
      throw new RefusedError(
        `${s.path} is a symbolic link: install-hook never writes through one (use --force to replace the link itself)`,
      );
    }
    if (!stat.isFile()) throw new RefusedError(`${s.path} is not a file`);
    if (!isOurScript(await readScript(s.path))) throw new RefusedError(refusal(s));
  }
}

/** What writeScripts did at a path: a new script, or one of ours (or, with force, anyone's) replaced. */
export interface Written {
  path: string;
  replaced?: string;
}

/** Writes each script (0755, atomically) that differs from what is there; checked as checkScripts does. */
export async function writeScripts(scripts: HookScript[], force: boolean): Promise<Written[]> {
  await checkScripts(scripts, force);
  const written = [];
  for (const s of scripts) {
    const link = await fs.lstat(s.path).then(
      (st) => st.isSymbolicLink(),
      () => false,
    );
    const before = link ? undefined : await readIfExists(s.path);
    if (before === s.content) continue;
    await writeAtomically(s.path, s.content, 0o755);
    written.push({ path: s.path, ...(before === undefined ? {} : { replaced: before }) });
  }
  return written;
}

/**
 * Writes beside the path and renames over it: never a half-written file, never through a symbolic link. The
 * file gets `mode`, and `owner`'s uid and gid when given (a file that was someone else's stays theirs).
 */
export async function writeAtomically(
  path: string,
  data: string | Buffer,
  mode: number,
  owner?: { uid: number; gid: number },
): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await fs.rm(temp, { force: true });
  const file = await fs.open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await file.writeFile(data);
    if (owner) await file.chown(owner.uid, owner.gid);
    await file.chmod(mode); // after chown, which clears set-id bits
  } finally {
    await file.close();
  }
  await fs.rename(temp, path);
}

/** Removes the scripts that we wrote; anything else at those paths stays. */
export async function removeScripts(paths: string[]): Promise<string[]> {
  const removed = [];
  for (const path of paths) {
    if (await isOurs(path)) {
      await fs.rm(path);
      removed.push(path);
    }
  }
  return removed;
}

/** A regular file at the path that is a script of ours. */
export async function isOurs(path: string): Promise<boolean> {
  const stat = await fs.lstat(path).catch(() => undefined);
  return !!stat?.isFile() && isOurScript(await readScript(path));
}
