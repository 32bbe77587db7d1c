// serve: forwarding on and the VPN's subnets masqueraded out of the uplink; unserve: exactly undone. Our table
// holds the rules of every interface served in the namespace (each interface's state file says which are its own);
// forwarding stays on until the last one is unserved. A table of our name that is not ours is never touched.
import type { Family } from '../address.js';
import { RefusedError } from '../errors.js';
import {
  ForeignTableError,
  open,
  openFirewall,
  type FirewallSocket,
  type MasqueradeRule,
  type RouteSocket,
} from '../netlink/index.js';
import { namespaceKey, withLock } from '../store/index.js';
import { enableForwarding, forwardingOff, restoreForwarding, undoForwarding } from './forwarding.js';
import {
  checkServeOptions,
  checkServerOptions,
  type ServeOptions,
  type ServerOptions,
  type Subnet,
} from './options.js';
import {
  readForwarding,
  readServeState,
  removeServeState,
  servedStates,
  writeServeState,
  type ServeState,
} from './state.js';
import type { SettingChange } from './settings.js';
import { interfaceSubnets } from './subnets.js';
import { findUplink, type Uplink } from './uplink.js';

export interface ServeResult {
  iface: string;
  /** The masquerade rules of this interface. */
  rules: MasqueradeRule[];
  /** The uplink per family masqueraded, and how it was found. */
  uplinks: Partial<Record<'4' | '6', Uplink>>;
  /** The kernel settings serve wrote (forwarding, accept_ra), or unserve put back, in order. */
  settings: SettingChange[];
  /** Whether our nf_tables table changed. */
  tableChanged: boolean;
  /**
   * What was left out or could not be done, and why (an IPv6 subnet with no IPv6 route to the internet; a table
   * of our name that is not ours; a lost record of the settings).
   */
  notes: string[];
}

/** Every rule our table should hold: the other served interfaces' and these. */
function allRules(others: ServeState[], iface: string, rules: MasqueradeRule[]): MasqueradeRule[] {
  return [...others.filter((s) => s.iface !== iface).flatMap((s) => s.rules), ...rules];
}

export async function withSockets<T>(
  options: ServerOptions,
  work: (nl: RouteSocket, fw: FirewallSocket, nsId: string) => Promise<T>,
): Promise<T> {
  const nl = await open({ netns: options.netns });
  try {
    const fw = await openFirewall({ netns: options.netns });
    try {
      const nsId = namespaceKey(nl);
      return await work(nl, fw, nsId);
    } finally {
      fw.close();
    }
  } finally {
    nl.close();
  }
}

async function plan(
  nl: RouteSocket,
  fw: FirewallSocket,
  iface: string,
  given: Subnet[] | undefined,
  options: ServeOptions,
): Promise<Pick<ServeResult, 'rules' | 'uplinks' | 'notes'>> {
  if (!(await nl.getLink(iface))) throw new RefusedError(`no such interface: ${iface}`);
  if ((await fw.readTable()).owner === 'foreign') throw new ForeignTableError();
  if (options.uplink !== undefined && !(await nl.getLink(options.uplink))) {
    throw new RefusedError(`no such uplink interface: ${options.uplink}`);
  }
  const subnets = given ?? (await interfaceSubnets(nl, iface));
  const uplinks: ServeResult['uplinks'] = {};
  const rules: MasqueradeRule[] = [];
  const notes: string[] = [];
  for (const family of [4, 6] as Family[]) {
    const mine = subnets.filter((s) => s.family === family);
    if (mine.length === 0) continue;
    const uplink =
      options.uplink !== undefined ? { dev: options.uplink, how: 'given' } : await findUplink(nl, family, iface);
    if (!uplink) {
      const what = `no IPv${family} route to the internet (give --uplink DEV)`;
      if (given || family === 4)
        throw new RefusedError(`cannot masquerade ${mine.map((s) => s.cidr).join(', ')}: ${what}`);
      notes.push(`IPv6 not masqueraded (${mine.map((s) => s.cidr).join(', ')}): ${what}`);
      continue;
    }
    uplinks[family] = uplink;
    for (const s of mine) rules.push({ family, source: s.cidr, oif: uplink.dev });
  }
  return { rules, uplinks, notes };
}

/**
 * Serves IFACE: forwarding on, and its subnets (or those given) masqueraded out of the uplink (or the one given).
 * Idempotent; a failure leaves the settings, our table and the state files as they were.
 */
export async function serve(iface: string, options: ServeOptions = {}): Promise<ServeResult> {
  const given = checkServeOptions(iface, options);
  return withSockets(options, (nl, fw, nsId) =>
    withLock(nsId, iface, async () => {
      const { rules, uplinks, notes } = await plan(nl, fw, iface, given, options);
      const families = [...new Set(rules.map((r) => r.family))];
      const previousState = await readServeState(nsId, iface);
      const previousRecord = await readForwarding(nsId);
      const others = await servedStates(nsId);
      const forwarding = await enableForwarding(nl, nsId, families, uplinks[6]?.dev);
      try {
        await writeServeState(nsId, { version: 1, iface, rules });
        const tableChanged = await fw.setMasquerade(allRules(others, iface, rules));
        return { iface, rules, uplinks, settings: forwarding.changes, tableChanged, notes };
      } catch (e) {
        if (previousState) await writeServeState(nsId, previousState);
        else await removeServeState(nsId, iface);
        await undoForwarding(nl, nsId, forwarding.before, previousRecord);
        throw e;
      }
    }),
  );
}

/** Takes IFACE's rules out of our table (the table gone with the last); a table not ours stays as it is. */
async function withdrawRules(fw: FirewallSocket, others: ServeState[], iface: string, notes: string[]) {
  try {
    return others.length === 0 ? await fw.removeMasquerade() : await fw.setMasquerade(allRules(others, iface, []));
  } catch (e) {
    if (!(e instanceof ForeignTableError)) throw e;
    notes.push('table inet redirect_gateway is not ours: left as it is');
    return false;
  }
}

/**
 * Puts the settings back as the record says. With no record though something was served (served: its state, or
 * our table, says so), the record is lost: forwarding off (forwardingOff says why), with a note.
 */
async function restoreAfterLastServe(
  nl: RouteSocket,
  nsId: string,
  served: boolean,
  notes: string[],
): Promise<SettingChange[]> {
  const restored = await restoreForwarding(nl, nsId);
  if (restored !== undefined || !served) return restored ?? [];
  const off = await forwardingOff(nl);
  if (off.length > 0) {
    notes.push(
      'the record of the settings before serve is lost: forwarding turned off, the kernel default; if this host ' +
        'forwarded before, turn it on again (sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1)',
    );
  }
  return off;
}

/** Undoes serve for IFACE: its rules out of our table (the table gone with the last), forwarding as it was. */
export async function unserve(iface: string, options: ServerOptions = {}): Promise<ServeResult> {
  checkServerOptions(iface, options);
  return withSockets(options, (nl, fw, nsId) =>
    withLock(nsId, iface, async () => {
      const state = await readServeState(nsId, iface);
      const others = (await servedStates(nsId)).filter((s) => s.iface !== iface);
      const notes: string[] = [];
      const tableChanged = await withdrawRules(fw, others, iface, notes);
      const served = state !== undefined || tableChanged;
      const settings = others.length === 0 ? await restoreAfterLastServe(nl, nsId, served, notes) : [];
      await removeServeState(nsId, iface);
      return { iface, rules: state?.rules ?? [], uplinks: {}, settings, tableChanged, notes };
    }),
  );
}
