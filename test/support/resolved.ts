// A real systemd-resolved for the DNS tests, never the host's: Debian's binary taken from its package (the
// version of the installed systemd, whose private library it links; test/fetch-resolved), and started in
// a namespace's own mount namespace: a tmpfs /run (its /run/systemd/resolve is made by resolved itself), the
// namespace's own sysfs (which `ip netns exec` mounts), /etc/passwd and /etc/group with its `systemd-resolve` user bound over the real ones, and a private
// dbus-daemon whose socket lies in a test directory, so the CLI (run with `ip netns exec`) reaches it.
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { type Exit, run, runStatus, start } from './exec.js';
import { REPO, tempDir } from './package.js';
import { busConfig } from './private-bus.js';
import { waitUntil } from './tinc.js';

const CACHE = join(REPO, 'node_modules/.cache/systemd-resolved');
const RESOLVED_USER = 'systemd-resolve';

/** The unpacked package's root (lib/systemd/systemd-resolved, usr/bin/resolvectl), as test/fetch-resolved left it. */
export async function resolvedPackage(): Promise<string> {
  const version = (await run('dpkg-query', ['-W', '-f=${Version}', 'systemd'])).stdout.trim();
  const root = join(CACHE, version);
  if (!existsSync(join(root, 'lib/systemd/systemd-resolved')))
    throw new Error(
      `no systemd-resolved ${version} in ${CACHE}: run test/fetch-resolved (test/run does, outside its sandbox)`,
    );
  return root;
}

export interface Resolved {
  /** For the CLI and resolvectl: DBUS_SYSTEM_BUS_ADDRESS naming the private bus. */
  env: NodeJS.ProcessEnv;
  /** resolvectl ARGS inside the namespace, on the private bus: resolved's own answer, the oracle. */
  resolvectl(...args: string[]): Promise<Exit>;
  /** Everything resolved and the bus logged so far. */
  readonly output: string;
}

/**
 * The bus lets resolved own its name and root call it; nobody else owns anything or calls anyone but the bus.
 * Replies, errors and signals are received (a policy without receive rules refuses them all).
 */
function resolvedBus(socket: string): string {
  return busConfig(
    socket,
    `  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <policy user="${RESOLVED_USER}">
    <allow own="org.freedesktop.resolve1"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.resolve1"/>
  </policy>
`,
  );
}

/** /etc/passwd and /etc/group as they are, with resolved's user where they lack it. */
async function withResolvedUser(dir: string): Promise<void> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const group = await readFile('/etc/group', 'utf8');
  const has = (file: string) => file.split('\n').some((line) => line.startsWith(`${RESOLVED_USER}:`));
  await writeFile(
    join(dir, 'passwd'),
    has(passwd) ? passwd : `${passwd}${RESOLVED_USER}:x:64991:64991:resolved (test):/:/usr/sbin/nologin\n`,
  );
  await writeFile(join(dir, 'group'), has(group) ? group : `${group}${RESOLVED_USER}:x:64991:\n`);
}

const START = `set -eu
dir=$1 root=$2
mount -t tmpfs -o mode=0755,size=4m rg-resolved-run /run
mount --bind "$dir/passwd" /etc/passwd
mount --bind "$dir/group" /etc/group
mkdir -p /run/systemd
test ! -e /run/systemd/resolve
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile &
until test -S "$dir/bus"; do sleep 0.02; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus" SYSTEMD_LOG_TARGET=console
exec "$root/lib/systemd/systemd-resolved"
`;

/** systemd-resolved and its bus, running inside `ns` until the namespace goes; resolves once its name is on the bus. */
export async function startResolved(ns: string): Promise<Resolved> {
  const root = await resolvedPackage();
  const dir = await tempDir('resolved');
  await chmod(dir, 0o755); // resolved, no longer root, connects to the bus socket in it
  const socket = join(dir, 'bus');
  await writeFile(join(dir, 'bus.conf'), resolvedBus(socket));
  await withResolvedUser(dir);
  const running = start(
    'ip',
    ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', START, 'sh', dir, root],
    { timeoutMs: null },
  );
  defer(() => running.child.kill('SIGKILL'));
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const resolvectl = (...args: string[]) =>
    runStatus('ip', ['netns', 'exec', ns, join(root, 'usr/bin/resolvectl'), ...args], { env });
  await waitUntil(
    async () => (await resolvectl('status')).code === 0,
    10_000,
    () => `systemd-resolved did not come up in ${ns}: ${running.output}`,
  );
  return {
    env,
    resolvectl,
    get output() {
      return running.output;
    },
  };
}
