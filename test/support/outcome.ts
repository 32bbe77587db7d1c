// Comparing our outcome of a change with ip's in the twin namespace: both succeed, or both fail alike.
import { expect } from 'vitest';
import { NetlinkError } from '../../src/index.js';
import { errnoOfIpMessage, extackOfIpMessage } from './errors.js';

/** Settles a change to what it threw, or undefined. */
export function outcome(change: Promise<unknown>): Promise<unknown> {
  return change.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/**
 * ip failed (theirs) and so must we, with the same kernel text (ip prints the extended ack alone when there is
 * one: "Error: ipv4: Address already assigned.") or errno; ip succeeded and our error, if any, is rethrown.
 */
export function expectSameOutcome(ours: unknown, theirs: Error | undefined): void {
  if (!theirs) {
    if (ours) throw ours;
    return;
  }
  expect(ours, `ip failed (${theirs.message}) but we did not`).toBeInstanceOf(NetlinkError);
  const extack = extackOfIpMessage(theirs.message);
  if (extack) expect((ours as NetlinkError).extack).toBe(extack);
  else expect((ours as NetlinkError).errno).toBe(errnoOfIpMessage(theirs.message));
}
