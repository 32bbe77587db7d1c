// Where the package under test is, and ways to run it the way a user would: from a script outside the
// repo that has it linked as node_modules/redirect-gateway, or as another (unprivileged) user.
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defer } from './cleanup.js';

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A temporary directory, removed when the test (or file) is done. */
export async function tempDir(label = 'tmp'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `rg-${label}-`));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A project directory outside the repo whose node_modules/redirect-gateway is a symlink to the repo
 * (as `npm link` makes), with `script` written as main.mjs. Returns the script's path.
 */
export async function linkedProject(script: string): Promise<string> {
  const dir = await tempDir('linked');
  await mkdir(join(dir, 'node_modules'));
  await symlink(REPO, join(dir, 'node_modules', 'redirect-gateway'), 'dir');
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'uses-redirect-gateway', private: true, type: 'module' }),
  );
  const main = join(dir, 'main.mjs');
  await writeFile(main, script);
  return main;
}

/**
 * A world-readable copy of the built package (dist/, the addon, package.json) in a temporary directory,
 * with `script` beside it as main.mjs; for running as an unprivileged user, who may not be able to read
 * the repo where it is checked out. The script imports the package as './pkg/dist/index.js'.
 */
export async function worldReadableCopy(script: string): Promise<string> {
  const dir = await tempDir('copy');
  await chmod(dir, 0o755);
  const pkg = join(dir, 'pkg');
  await cp(join(REPO, 'dist'), join(pkg, 'dist'), { recursive: true });
  await mkdir(join(pkg, 'build', 'Release'), { recursive: true });
  await cp(join(REPO, 'build/Release/rtnetlink.node'), join(pkg, 'build/Release/rtnetlink.node'));
  await cp(join(REPO, 'package.json'), join(pkg, 'package.json'));
  const main = join(dir, 'main.mjs');
  await writeFile(main, script);
  await makeWorldReadable(dir);
  return main;
}

async function makeWorldReadable(path: string): Promise<void> {
  const { readdir, stat } = await import('node:fs/promises');
  const s = await stat(path);
  await chmod(path, s.isDirectory() ? 0o755 : s.mode & 0o111 ? 0o755 : 0o644);
  if (s.isDirectory()) for (const name of await readdir(path)) await makeWorldReadable(join(path, name));
}
