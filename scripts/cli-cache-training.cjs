// The CLI's code cache as a hook uses it: scripts/bundle-cli.js runs this in a network and mount namespace of
// its own (unshare, as root), where `hook up` and `hook down` run for real against a throwaway uplink and tunnel,
// and V8's cache is written from what they compiled: what a hook runs is in it (compiled at build time), what it
// never runs is not (deserialized for nothing otherwise; a cache of every function is 2.5 times larger).
//
//   unshare --net --mount --propagation private node scripts/cli-cache-training.cjs DIST_CLI
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const cli = process.argv[2];
const bundle = join(cli, 'bundle.cjs');
const main = join(cli, 'main.js');

// Our own /run (the product keeps its state in /run/redirect-gateway), and the seed's network: an uplink with a
// default route, a tunnel.
execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'cli-cache-training', '/run']);
const ip = (...args) => execFileSync('ip', args);
ip('link', 'set', 'lo', 'up');
ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
ip('address', 'add', '192.168.0.2/24', 'dev', 'up0');
ip('link', 'set', 'up0', 'up');
ip('link', 'set', 'up1', 'up');
ip('route', 'add', 'default', 'via', '192.168.0.1', 'dev', 'up0');
ip('tuntap', 'add', 'mode', 'tun', 'name', 'vpn');
ip('address', 'add', '172.16.0.2/24', 'dev', 'vpn');
ip('link', 'set', 'vpn', 'up');

// Compiled lazily, as a plain `node` run compiles: the cache carries its flags, which V8 checks before using it.
const script = new Script(readFileSync(bundle, 'latin1'), { filename: bundle });
const runs = [
  ['hook', 'up'],
  ['hook', 'down'],
];
process.env.INTERFACE = 'vpn';
process.env.REMOTEADDRESS = '198.51.100.7';
const exit = process.exit;
// The CLI ends each run with process.exit: the next run starts there, and after the last the cache is written.
process.exit = (code) => {
  if (code) exit(code);
  const args = runs.shift();
  if (!args) {
    writeFileSync(`${bundle}.cache`, script.createCachedData());
    exit(0);
  }
  process.argv = [process.argv[0], main, ...args];
  script.runInThisContext()(pathToFileURL(main).href);
};
process.exit(0);
