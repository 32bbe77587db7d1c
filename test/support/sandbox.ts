// The guard that keeps tests off the machine's own network: they must run inside test/run's sandbox.
import { readlinkSync } from 'node:fs';

/** Throws unless this process is in the network namespace that test/run created for this run. */
export function assertSandboxed(): void {
  const expected = process.env.REDIRECT_GATEWAY_TEST_SANDBOX;
  const actual = readlinkSync('/proc/self/ns/net');
  if (!expected || expected !== actual) {
    throw new Error(
      'the tests must run inside the sandbox that test/run creates (a private network, mount and PID ' +
        'namespace); run `npm test` or `test/run [vitest args]` as root, not vitest directly',
    );
  }
}
