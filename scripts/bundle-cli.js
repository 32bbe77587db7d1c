// `npm run prepare`, after tsc: the executable. dist/cli/ is replaced by it (nothing loads tsc's modules of
// src/cli: the package's exports are dist/index.js's). dist/cli/bundle.cjs is the CLI as one script, so that a
// hook's start-up reads one file instead of the ES module loader resolving, reading and linking every file of
// src/ (tincd moves no packets until the hook returns); dist/cli/bundle.cjs.cache is V8's code cache for it,
// every function compiled; dist/cli/main.js (scripts/cli-entry.cjs, CommonJS by dist/cli/package.json) runs the
// one with the other. `hook`, what tincd runs, has a bundle of its own, dist/cli/hook.cjs (and its cache): the
// hook's code alone, 30% less cache to read and deserialize. A script, not a module: Node 20 has no code cache
// for ES modules. dist/cli/ and dist/netlink/ are at the same depth, so the modules' paths relative to
// import.meta.url (the addon's, src/netlink/addon-path.ts) hold with main.js's URL.
//
// Node's own modules are taken with process.getBuiltinModule where the code first runs, not imported:
// esbuild hoists a bundle's imports to its top, so `import 'node:child_process'` in the demo would be
// loaded by every `up`. As CommonJS modules of the bundle they load with the module that needs them,
// and the commands the hook does not run (each loaded by import() in src/cli/commands/index.ts) cost it nothing.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const cli = join(repo, 'dist/cli');
const main = join(cli, 'main.js');

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

/**
 * esbuild's __toESM gives every importer of a CommonJS module a namespace of its own, a getter per property: the
 * hundred of node:fs were copied for each of the 21 modules that import it (about 2 ms of a hook's start-up,
 * profiled), and once each, shared, still cost 0.2 ms for node:fs. The bundle's CommonJS modules are Node's own,
 * whose objects serve as their namespaces as they are: a named import reads the module's property where used, as
 * the getter did. Only a default import would differ (the object has no `default`): refused. So the helper goes,
 * its calls become the bare `require_node_fs()`, and the runtime helpers that only it used go with it.
 */
function nodeModulesAsNamespaces(text) {
  const helper = /^var __toESM = \(mod, isNodeMode, target\) =>.*?\n\)\);\n/ms;
  if (!helper.test(text)) throw new Error(`bundle-cli: esbuild's helper changed: no "${helper.source}"`);
  if (/\bimport_node_\w+\.default\b/.test(text)) throw new Error('bundle-cli: a default import of a Node module');
  const bare = text.replace(helper, '').replace(/\b__toESM\((require_\w+\(\))(?:, 1)?\)/g, '$1');
  if (bare.includes('__toESM')) throw new Error('bundle-cli: a call of __toESM not on a require_*()');
  return withoutUnusedHelpers(bare);
}

/** The bundle without the esbuild runtime helpers (`var __name = ...` at its top, up to a blank line) nothing uses. */
function withoutUnusedHelpers(text) {
  const start = text.indexOf('\nvar __') + 1;
  const end = text.indexOf('\n\n', start) + 1;
  const [before, after] = [text.slice(0, start), text.slice(end)];
  let helpers = text.slice(start, end).split(/^(?=var __)/m);
  for (;;) {
    const used = helpers.filter((h) => {
      const name = /^var (__\w+) =/.exec(h)[1];
      const others = before + helpers.filter((o) => o !== h).join('') + after;
      return new RegExp(`\\b${name}\\b`).test(others);
    });
    if (used.length === helpers.length) return before + helpers.join('') + after;
    helpers = used;
  }
}

/** The CLI from `entry` (src/cli/) as one script, `out` in dist/cli/, and its code cache beside it. */
async function bundleWithCache(entry, out) {
  const bundle = join(cli, out);
  await build({
    entryPoints: [join(repo, 'src/cli', entry)],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The script's value is a function of main.js's URL, what import.meta.url is in the modules it bundles.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: '(function (importMetaUrl) {' },
    footer: { js: '})' },
    plugins: [builtinsWhereUsed],
    // What main.js relies on to read the bundle as latin1 (no UTF-8 decoding): non-ASCII characters escaped.
    charset: 'ascii',
    logLevel: 'warning',
  });

  // Compiled eagerly (V8 compiles a function when first called, and a cache holds only what was compiled), then
  // lazily again, so that the cache carries the flags of a plain `node` run, which V8 checks before using it.
  const source = nodeModulesAsNamespaces(readFileSync(bundle, 'utf8').replace(/^#!.*\n/, ''));
  writeFileSync(bundle, source);
  setFlagsFromString('--no-lazy');
  const script = new Script(source, { filename: bundle });
  setFlagsFromString('--lazy');
  writeFileSync(`${bundle}.cache`, script.createCachedData());
}

rmSync(cli, { recursive: true, force: true });
await bundleWithCache('main.ts', 'bundle.cjs');
await bundleWithCache('hook-main.ts', 'hook.cjs');

writeFileSync(join(cli, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
copyFileSync(join(repo, 'scripts/cli-entry.cjs'), main);
chmodSync(main, 0o755);
