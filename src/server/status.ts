// What is served in a namespace: the state files, our table's rules as the kernel has them, and forwarding.
import type { FirewallTable, MasqueradeRule } from '../netlink/index.js';
import { FORWARDING_SETTINGS } from './settings.js';
import { checkOptions, type ServerOptions } from './options.js';
import { withSockets } from './serve.js';
import { readForwarding, servedStates, type ServeState } from './state.js';

export interface ServerStatus {
  /** The interfaces served, with the rules each asked for. */
  served: ServeState[];
  /** Whose the table inet redirect_gateway is: none, ours, or someone else's (then never touched). */
  table: FirewallTable['owner'];
  /** Our table's masquerade rules, as the kernel holds them. */
  masquerade: MasqueradeRule[];
  /** The forwarding settings now. */
  forwarding: Record<string, string>;
  /** The settings as they were before the first serve, restored by the last unserve. */
  restoreOnUnserve: Record<string, string>;
  /** Rules served but missing from the kernel's table (someone flushed it: serve again). */
  missing: MasqueradeRule[];
}

const same = (a: MasqueradeRule, b: MasqueradeRule) =>
  a.family === b.family && a.source === b.source && a.oif === b.oif;

export async function status(options: ServerOptions = {}): Promise<ServerStatus> {
  checkOptions(options);
  return withSockets(options, async (nl, fw, nsId) => {
    const served = await servedStates(nsId);
    const table = await fw.readTable();
    const masquerade = table.owner === 'ours' ? table.rules : [];
    const forwarding: Record<string, string> = {};
    for (const name of Object.values(FORWARDING_SETTINGS)) forwarding[name] = await nl.getSysctl(name);
    const missing = served.flatMap((s) => s.rules).filter((r) => !masquerade.some((m) => same(m, r)));
    return {
      served,
      table: table.owner,
      masquerade,
      forwarding,
      restoreOnUnserve: (await readForwarding(nsId)) ?? {},
      missing,
    };
  });
}
