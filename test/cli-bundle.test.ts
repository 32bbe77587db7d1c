// The executable as scripts/bundle-cli.js builds it: a script and V8's code cache for it, for every command and for
// the hook alone. A cache that Node rejects would cost every hook its start-up (the bundle compiled from source)
// and say nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from './support/exec.js';
import { REPO } from './support/package.js';

const BUNDLES = ['bundle.cjs', 'hook.cjs'];

it.each(BUNDLES)("%s is ASCII, so that main.js's latin1 reading is its text", (name) => {
  // eslint-disable-next-line no-control-regex -- the range is the point
  expect(readFileSync(join(REPO, 'dist/cli', name), 'utf8')).not.toMatch(/[^\x00-\x7f]/);
});

it.each(BUNDLES)('%s has a code cache that a plain node accepts', async (name) => {
  // A process of its own: a test worker's V8 flags may differ from a plain run's, and V8 checks them.
  const accepted = `const { readFileSync } = require('node:fs');
    const script = new (require('node:vm').Script)(readFileSync(process.argv[1], 'latin1'), {
      filename: process.argv[1], cachedData: readFileSync(process.argv[1] + '.cache') });
    process.stdout.write(String(!script.cachedDataRejected));`;
  expect((await run(process.execPath, ['-e', accepted, join(REPO, 'dist/cli', name)])).stdout).toBe('true');
});
