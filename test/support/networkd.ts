// A real systemd-networkd (the host's installed binary, never the host's running one) managing one interface of a
// test namespace, as on a machine whose uplink it configures. It runs inside the namespace in a mount namespace of
// its own: a tmpfs /run, a read-only sysfs (so it does not wait for udev, which would never announce the test's
// devices), the test's .network files bound over /etc/systemd/network, and a private dbus-daemon whose socket is
// in a test directory, through which `networkctl` (run by the test, with the same bus) asks it to reconfigure.
// Its defaults are a distribution's: ManageForeignRoutes=yes and ManageForeignRoutingPolicyRules=yes.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { type Exit, runStatus, start } from './exec.js';
import { tempDir } from './package.js';
import { busConfig } from './private-bus.js';
import { waitUntil } from './tinc.js';

export const NETWORKD = '/lib/systemd/systemd-networkd';

/** A bus of the test's own: anyone may own names and call anyone (nothing else is on it). */
const NETWORKD_BUS_POLICY = `  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_type="*"/>
  </policy>
`;

const START = `set -eu
dir=$1
mount -t tmpfs -o mode=0755,size=4m rg-networkd-run /run
mount -o remount,ro /sys
mkdir -p /run/systemd/netif
chown systemd-network:systemd-network /run/systemd/netif
mount --bind "$dir/network" /etc/systemd/network
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile &
until test -S "$dir/bus"; do sleep 0.02; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus" SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug
exec ${NETWORKD}
`;

export interface Networkd {
  /** networkctl ARGS inside the namespace, on the private bus. */
  networkctl(...args: string[]): Promise<Exit>;
  readonly output: string;
}

/**
 * systemd-networkd in `ns` with these .network files (name -> text), logging at debug level (its link states are
 * what the tests wait for); resolves once it configured `iface`.
 */
export async function startNetworkd(ns: string, iface: string, files: Record<string, string>): Promise<Networkd> {
  const dir = await tempDir('networkd');
  await chmod(dir, 0o755); // networkd, no longer root, connects to the bus socket in it
  await mkdir(join(dir, 'network'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'network', name), text);
  const socket = join(dir, 'bus');
  await writeFile(join(dir, 'bus.conf'), busConfig(socket, NETWORKD_BUS_POLICY));
  const running = start(
    'ip',
    ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', START, 'sh', dir],
    { timeoutMs: null },
  );
  defer(() => running.child.kill('SIGKILL'));
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const networkctl = (...args: string[]) => runStatus('ip', ['netns', 'exec', ns, 'networkctl', ...args], { env });
  await waitUntil(
    () => running.output.includes(`${iface}: State changed: configuring -> configured`),
    15_000,
    () => `systemd-networkd did not configure ${iface} in ${ns}: ${running.output}`,
  );
  return {
    networkctl,
    get output() {
      return running.output;
    },
  };
}
