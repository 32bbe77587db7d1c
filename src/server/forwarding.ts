// IP forwarding, on while anything is served: net/ipv4/ip_forward, and net/ipv6/conf/all/forwarding when IPv6
// is masqueraded. Before a switch is turned on, every setting it moves (settings.ts) and the accept_ra serve
// changes (slaac.ts) are recorded, so that a run killed half way can be undone; the last unserve puts back
// exactly what was recorded.
import type { Family } from '../address.js';
import type { RouteSocket } from '../netlink/index.js';
import { interfacesToKeepAdvertised } from './slaac.js';
import {
  acceptRaSetting,
  FORWARDING_SETTINGS,
  readSettings,
  restoreSettings,
  sideEffects,
  writeSetting,
  type SettingChange,
  type Settings,
} from './settings.js';
import { readForwarding, removeForwarding, writeForwarding } from './state.js';

/** What turning the family's forwarding on writes, in order: accept_ra where SLAAC needs it, then the switch. */
async function writesFor(nl: RouteSocket, family: Family, uplink6: string | undefined): Promise<Settings> {
  const keep = family === 6 ? await interfacesToKeepAdvertised(nl, uplink6) : [];
  return { ...Object.fromEntries(keep.map((dev) => [acceptRaSetting(dev), '2'])), [FORWARDING_SETTINGS[family]]: '1' };
}

export interface Enabled {
  /** What it wrote. */
  changes: SettingChange[];
  /** Every setting it moved (the kernel's side effects included), as it was: what undoForwarding puts back. */
  before: Settings;
}

/**
 * Turns forwarding on for the families (uplink6: the IPv6 uplink, whose advertisements SLAAC needs). A failure
 * leaves the settings and the record as they were.
 */
export async function enableForwarding(
  nl: RouteSocket,
  nsId: string,
  families: Family[],
  uplink6: string | undefined,
): Promise<Enabled> {
  const previous = await readForwarding(nsId);
  const record: Settings = { ...previous };
  const before: Settings = {};
  const changes: SettingChange[] = [];
  try {
    // Written even when nothing changes: a serve leaves a record, so its absence means lost (forwardingOff).
    if (previous === undefined) await writeForwarding(nsId, record);
    for (const family of families) {
      const name = FORWARDING_SETTINGS[family];
      if ((await nl.getSysctl(name)) === '1') continue;
      const writes = await writesFor(nl, family, uplink6);
      const devices = (await nl.listLinks()).map((l) => l.name);
      const values = await readSettings(nl, [...Object.keys(writes), ...sideEffects(family, devices)]);
      Object.assign(before, values);
      for (const [n, v] of Object.entries(values)) if (!(n in record)) record[n] = v;
      await writeForwarding(nsId, record);
      for (const [n, v] of Object.entries(writes)) {
        const change = await writeSetting(nl, n, v);
        if (change) changes.push(change);
      }
    }
    return { changes, before };
  } catch (e) {
    await undoForwarding(nl, nsId, before, previous);
    throw e;
  }
}

/** Undoes enableForwarding: the settings as they were before it, and the record as it was (none: removed). */
export async function undoForwarding(
  nl: RouteSocket,
  nsId: string,
  before: Settings,
  previous: Settings | undefined,
): Promise<void> {
  await restoreSettings(nl, before);
  if (previous === undefined) await removeForwarding(nsId);
  else await writeForwarding(nsId, previous);
}

/** Restores every setting the namespace's record holds and forgets it; what it changed, or undefined: no record. */
export async function restoreForwarding(nl: RouteSocket, nsId: string): Promise<SettingChange[] | undefined> {
  const recorded = await readForwarding(nsId);
  if (recorded === undefined) return undefined;
  const changes = await restoreSettings(nl, recorded);
  await removeForwarding(nsId);
  return changes;
}

/**
 * With the record lost (its file deleted or garbled), forwarding goes back to the kernel's default, off: what was
 * on before serve cannot be known, and a host that forwards unasked is worse than a router to switch on again.
 */
export async function forwardingOff(nl: RouteSocket): Promise<SettingChange[]> {
  return restoreSettings(nl, Object.fromEntries(Object.values(FORWARDING_SETTINGS).map((name) => [name, '0'])));
}
