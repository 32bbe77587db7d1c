// Our nf_tables tables (native/nft_operations.h): a NETLINK_NETFILTER socket that reads and changes the server's
// masquerading (`inet redirect_gateway`) and the client's lockdown (`inet redirect_gateway_lockdown`), nothing else.
// Each carries our comment; a table of that name without it (someone else's) is never changed or deleted.
import { parsePrefix, type Family } from '../address.js';
import { InvalidInputError, RefusedError } from '../errors.js';
import { checkInterfaceName, checkNetnsName, checkUint } from '../names.js';
import { AF_INET6 } from './constants.js';
import { nativeFilterRule, type FilterRule } from './filter-rule.js';
import { addon, type NativeFirewall, type NativeMasquerade, type NativeTableChange } from './native.js';
import { fromNative } from './native-error.js';
import { familyNumber } from './wire.js';

/** `ip saddr SOURCE oifname "OIF" masquerade` (ip6 saddr for family 6) in our table's postrouting chain. */
export interface MasqueradeRule {
  family: Family;
  /** The clients' network, 'a.b.c.d/n' or 'x::/n' (host bits clear, prefix length at least 1). */
  source: string;
  /** The uplink the masqueraded traffic leaves by. */
  oif: string;
}

/** Our table's name (family inet), as `nft list ruleset` shows it. */
export const FIREWALL_TABLE = 'inet redirect_gateway';
/** The lockdown's table, with a chain `output` and a chain `forward` holding the same rules. */
export const LOCKDOWN_TABLE = 'inet redirect_gateway_lockdown';
/** Our table's comment (native/nft_codec.h kTableComment): what tells it from another table of its name. */
export const FIREWALL_TABLE_COMMENT = 'managed by redirect-gateway serve';
/** The lockdown table's comment (native/nft_filter.h kLockdownTableComment). */
export const LOCKDOWN_TABLE_COMMENT = 'managed by redirect-gateway lockdown';

/** A table of one of our names that is not ours is there: it was left alone. */
export class ForeignTableError extends RefusedError {
  constructor(table = FIREWALL_TABLE, comment = FIREWALL_TABLE_COMMENT, retry = 'serve') {
    super(
      `table ${table} exists and is not ours (no comment "${comment}"): it is left ` +
        `alone; delete it (nft delete table ${table}) or rename yours, then ${retry} again`,
    );
  }
}

/** Our table now: absent, ours (with the masquerade rules it holds), or someone else's of the same name. */
export type FirewallTable = { owner: 'none' | 'foreign' } | { owner: 'ours'; rules: MasqueradeRule[] };

/** What the lockdown's table holds: each chain's rules as nft shows them (each rule's comment). */
export interface LockdownContent {
  exists: boolean;
  /** Our chains only, each rule with its comment, nothing else in the table. */
  oursOnly: boolean;
  /** It carries our comment (or, without any comment, holds only what we make): see FirewallTable's owner. */
  owned: boolean;
  chains: { name: string; exists: boolean; rules: string[] }[];
}

export interface FirewallOptions {
  /** A name under /run/netns, or an absolute path to a namespace file. */
  netns?: string;
  /** How long any one reply from the kernel may take before the call fails with ETIMEDOUT. */
  timeoutMs?: number;
}

function nativeRule(rule: MasqueradeRule, index: number): NativeMasquerade {
  const what = `masquerade rule ${index + 1}`;
  if (typeof rule !== 'object' || rule === null) throw new InvalidInputError(`invalid ${what}: not an object`);
  if (rule.family !== 4 && rule.family !== 6) throw new InvalidInputError(`invalid ${what}: family must be 4 or 6`);
  const prefix = parsePrefix(rule.source, `${what} source`);
  if (prefix.family !== rule.family) {
    throw new InvalidInputError(`invalid ${what}: source ${prefix.cidr} is not an IPv${rule.family} network`);
  }
  if (prefix.length === 0) {
    throw new InvalidInputError(`invalid ${what}: source ${prefix.cidr} would masquerade every address`);
  }
  return {
    family: familyNumber(rule.family),
    source: prefix.bytes,
    prefixLen: prefix.length,
    oif: checkInterfaceName(rule.oif),
  };
}

/** The rules as nft lists them (and as their comments in our table say), in order. */
export function describeFilterRules(rules: FilterRule[]): string[] {
  return addon.lockdownDescribe(rules.map(nativeFilterRule));
}

function changed(change: NativeTableChange): boolean {
  if (change === 'not ours') throw new ForeignTableError();
  return change === 'changed';
}

function lockdownChanged(change: NativeTableChange): boolean {
  if (change === 'not ours') throw new ForeignTableError(LOCKDOWN_TABLE, LOCKDOWN_TABLE_COMMENT, 'up');
  return change === 'changed';
}

/** A NETLINK_NETFILTER socket for our table. Calls are synchronous underneath: a handful of small messages. */
export class FirewallSocket {
  #handle: NativeFirewall | undefined;

  constructor(handle: NativeFirewall) {
    this.#handle = handle;
  }

  #call<T>(operation: string, work: (handle: NativeFirewall) => T, table = FIREWALL_TABLE): T {
    if (!this.#handle) throw new InvalidInputError('the firewall socket is closed');
    try {
      return work(this.#handle);
    } catch (e) {
      throw fromNative(e, operation, table);
    }
  }

  /**
   * Whose the table of our name is, and the masquerade rules ours holds, in order. Rules of other shapes, or
   * other chains, in our table are not listed; setMasquerade replaces them.
   */
  async readTable(): Promise<FirewallTable> {
    const state = this.#call('readTable', (h) => h.listMasquerade());
    if (!state.exists) return { owner: 'none' };
    if (!state.owned) return { owner: 'foreign' };
    const rules = state.rules.map((r): MasqueradeRule => ({ ...r, family: r.family === AF_INET6 ? 6 : 4 }));
    return { owner: 'ours', rules };
  }

  /** The masquerade rules our table holds, in order ([] when there is none, or the table is not ours). */
  async listMasquerade(): Promise<MasqueradeRule[]> {
    const table = await this.readTable();
    return table.owner === 'ours' ? table.rules : [];
  }

  /**
   * Makes our table hold exactly these rules (in this order), in one transaction; changes nothing when it
   * does already. Returns whether it changed anything; a ForeignTableError when the table is not ours.
   */
  async setMasquerade(rules: MasqueradeRule[]): Promise<boolean> {
    if (!Array.isArray(rules)) throw new InvalidInputError('invalid masquerade rules: not a list');
    const native = rules.map(nativeRule);
    return changed(this.#call('setMasquerade', (h) => h.setMasquerade(native)));
  }

  /** Deletes our table, if there is one; returns whether there was. A ForeignTableError when it is not ours. */
  async removeMasquerade(): Promise<boolean> {
    return changed(this.#call('removeMasquerade', (h) => h.removeMasquerade()));
  }

  /** What the lockdown's table holds (exists false when there is none). */
  async listLockdown(): Promise<LockdownContent> {
    return this.#call('listLockdown', (h) => h.listLockdown(), LOCKDOWN_TABLE);
  }

  /**
   * Makes the lockdown's chains hold exactly these rules (in this order), in one transaction; changes nothing
   * when they do already. Returns whether it changed anything; a ForeignTableError when the table is not ours.
   */
  async setLockdown(rules: FilterRule[]): Promise<boolean> {
    if (!Array.isArray(rules)) throw new InvalidInputError('invalid filter rules: not a list');
    const native = rules.map(nativeFilterRule);
    return lockdownChanged(this.#call('setLockdown', (h) => h.setLockdown(native), LOCKDOWN_TABLE));
  }

  /** Deletes the lockdown's table, if there is one; returns whether there was. A ForeignTableError when not ours. */
  async removeLockdown(): Promise<boolean> {
    return lockdownChanged(this.#call('removeLockdown', (h) => h.removeLockdown(), LOCKDOWN_TABLE));
  }

  close(): void {
    this.#handle?.close();
    this.#handle = undefined;
  }
}

/** Opens a firewall socket in the caller's network namespace, or in `netns`. */
export async function openFirewall(options: FirewallOptions = {}): Promise<FirewallSocket> {
  const netns = options.netns === undefined ? '' : checkNetnsName(options.netns);
  const timeoutMs = checkUint(options.timeoutMs ?? 5000, 'timeout', 2 ** 31 - 1);
  try {
    return new FirewallSocket(addon.openFirewall(netns, timeoutMs));
  } catch (e) {
    throw fromNative(e, 'openFirewall', netns ? `netns ${netns}` : undefined);
  }
}
