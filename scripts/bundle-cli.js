// `npm run prepare`, after tsc: the executable dist/cli/main.js as one file, so that a hook's start-up
// reads one module instead of the ESM loader resolving, reading and linking every file of src/ (tincd moves
// no packets until the hook returns). dist/cli/ and dist/netlink/ are at the same depth: the addon's path,
// relative to import.meta.url (src/netlink/native.ts), holds in the bundle too.
//
// Node's own modules are taken with process.getBuiltinModule where the code first runs, not imported:
// esbuild hoists a bundle's imports to its top, so `import 'node:child_process'` in the demo would be
// loaded by every `up`. As CommonJS modules of the bundle they load with the module that needs them,
// and the commands the hook does not run (each loaded by import() in src/cli/run.ts) cost it nothing.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const outfile = join(repo, 'dist/cli/main.js');

/** @type {import('esbuild').Plugin} */
const builtinsWhereUsed = {
  name: 'builtins-where-used',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(repo, 'src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [builtinsWhereUsed],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
