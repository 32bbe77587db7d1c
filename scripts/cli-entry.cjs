#!/usr/bin/env node
// dist/cli/main.js, the executable (copied there by scripts/bundle-cli.js; dist/cli/package.json makes it
// CommonJS, whose entry starts faster than an ES module's): runs the CLI's bundle, one script (bundle.cjs),
// compiled with the V8 code cache made for it at build time (bundle.cjs.cache). A hook's start-up then
// deserializes compiled code instead of parsing and compiling the whole bundle. A cache this Node's V8 rejects
// (another version) costs nothing but the read: the bundle is compiled as without one. `hook EVENT`, what the scripts
// of install-hook run, has a bundle of its own (hook.cjs): the hook's code alone, less cache to deserialize.
const fs = process.getBuiltinModule('node:fs');
const { Script } = process.getBuiltinModule('node:vm');

const mainUrl = process.getBuiltinModule('node:url').pathToFileURL(__filename).href;
const bundle = new URL(process.argv[2] === 'hook' ? 'hook.cjs' : 'bundle.cjs', mainUrl);
let cachedData;
try {
  cachedData = fs.readFileSync(new URL(`${bundle.href}.cache`));
} catch {
  // no cache (a build without one): compiled as usual
}
// latin1: the bundle is ASCII (scripts/bundle-cli.js), so this is its text without decoding UTF-8.
const script = new Script(fs.readFileSync(bundle, 'latin1'), { filename: bundle.pathname, cachedData });
// The bundle is a function of the URL that import.meta.url would be in its modules (this file's, beside them).
script.runInThisContext()(mainUrl);
