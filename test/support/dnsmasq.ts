// dnsmasq, the tests' DHCP server and resolver: in a namespace, in the foreground, with no configuration of the
// host's (no /etc/dnsmasq.conf, resolv.conf or hosts), killed with the test.
import { defer } from './cleanup.js';
import { start, type Running } from './exec.js';

const DNSMASQ = '/usr/sbin/dnsmasq';

/** dnsmasq in `ns` with `args` besides the ones that keep it away from the host's files. */
export function startDnsmasq(ns: string, args: string[]): Running {
  const running = start(
    'ip',
    [
      'netns',
      'exec',
      ns,
      DNSMASQ,
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--user=root',
      ...args,
    ],
    { timeoutMs: null },
  );
  defer(() => running.child.kill('SIGKILL'));
  return running;
}
