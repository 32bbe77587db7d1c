// Where the addon is: node-gyp-build's lookup order (the package's own build, then its prebuild for this
// platform), in one existsSync rather than through node-gyp-build, which needs the CommonJS loader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageRoot = new URL('../../', import.meta.url);

/**
 * build/Release is what `npm ci` builds in a checkout (and what scripts/test-asan mounts its addon over),
 * and what the install script builds where no prebuild fits; else scripts/prebuild's for this platform.
 */
export function addonPath(): string {
  const local = fileURLToPath(new URL('build/Release/rtnetlink.node', packageRoot));
  if (existsSync(local)) return local;
  return fileURLToPath(new URL(`prebuilds/${process.platform}-${process.arch}/rtnetlink.glibc.node`, packageRoot));
}
