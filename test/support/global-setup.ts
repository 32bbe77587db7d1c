// Runs once, in vitest's main process, before any test file: refuses to start outside the sandbox, and
// makes sure dist/ (what `import('redirect-gateway')` and child scripts load) is built from the current
// sources. The tests themselves import src/ directly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { assertSandboxed } from './sandbox.js';
import { REPO } from './package.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default async function setup(): Promise<void> {
  assertSandboxed();
  if (!existsSync(join(REPO, 'build/Release/rtnetlink.node'))) {
    throw new Error('the addon is not built: run `npm ci` (or `npx node-gyp rebuild`) first');
  }
  const addon = statSync(join(REPO, 'build/Release/rtnetlink.node')).mtimeMs;
  if (addon < newestMtime(join(REPO, 'native')) || addon < statSync(join(REPO, 'binding.gyp')).mtimeMs) {
    console.warn(
      'warning: native/ is newer than build/Release/rtnetlink.node: run `npx node-gyp rebuild` to test the current addon',
    );
  }
  const distIndex = join(REPO, 'dist/index.js');
  if (!existsSync(distIndex) || statSync(distIndex).mtimeMs < newestMtime(join(REPO, 'src'))) {
    // The package's own recipe for dist/ (`npm run prepare`: tsc, then the CLI bundled into one executable
    // file). tsc writes its output even when it reports type errors; those are for `npm run build` (and npm
    // ci) to fail on.
    // Here they are only shown: the tests that load dist/ fail by themselves if it is broken.
    await run('npm', ['run', '--silent', 'prepare'], { cwd: REPO, timeoutMs: 180_000 }).catch(
      (e: Error & { stdout?: string }) =>
        console.warn(`warning: building dist/ reported errors:\n${e.stdout || e.message}`),
    );
  }
}
