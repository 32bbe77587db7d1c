// IP forwarding, on while anything is served: net/ipv4/ip_forward, and net/ipv6/conf/all/forwarding when IPv6
// is masqueraded. The values found before are recorded first (so that a run killed half way can be undone) and
// restored exactly by the last unserve.
import type { Family } from '../address.js';
import type { RouteSocket } from '../netlink/index.js';
import { readForwarding, removeForwarding, writeForwarding, type ForwardingState } from './state.js';

export const FORWARDING_SETTINGS: Record<Family, string> = {
  4: 'net/ipv4/ip_forward',
  6: 'net/ipv6/conf/all/forwarding',
};

/**
 * Turns forwarding on for the families; returns the settings it changed (name -> the value before). A failure
 * leaves the settings and the record as they were.
 */
export async function enableForwarding(nl: RouteSocket, nsId: string, families: Family[]): Promise<ForwardingState> {
  const previous = await readForwarding(nsId);
  const recorded = { ...previous };
  const changed: ForwardingState = {};
  try {
    for (const family of families) {
      const name = FORWARDING_SETTINGS[family];
      const before = await nl.getSysctl(name);
      if (before === '1') continue;
      if (!(name in recorded)) {
        recorded[name] = before;
        await writeForwarding(nsId, recorded);
      }
      await nl.setSysctl(name, '1');
      changed[name] = before;
    }
    return changed;
  } catch (e) {
    await undoForwarding(nl, nsId, changed, previous);
    throw e;
  }
}

/** Undoes what enableForwarding changed: the settings, and the record as it was (previous; none: removed). */
export async function undoForwarding(
  nl: RouteSocket,
  nsId: string,
  changed: ForwardingState,
  previous: ForwardingState | undefined,
): Promise<void> {
  await restoreSettings(nl, changed);
  if (previous === undefined) await removeForwarding(nsId);
  else await writeForwarding(nsId, previous);
}

/** Puts back the settings given (name -> value), newest first. */
export async function restoreSettings(nl: RouteSocket, settings: ForwardingState): Promise<void> {
  for (const [name, value] of Object.entries(settings).reverse()) await nl.setSysctl(name, value);
}

/** Restores every setting the namespace's record holds and forgets it; returns what it restored. */
export async function restoreForwarding(nl: RouteSocket, nsId: string): Promise<ForwardingState> {
  const recorded = (await readForwarding(nsId)) ?? {};
  await restoreSettings(nl, recorded);
  await removeForwarding(nsId);
  return recorded;
}
