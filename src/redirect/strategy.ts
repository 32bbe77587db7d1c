// How a redirect is made in the kernel: `halves` (half-routes in main, halves-strategy.ts) or `rules` (policy
// rules and a table of ours, rules-strategy.ts). The redirect holds one through its state and asks it; it never
// asks which one it holds.
import type { Change, RouteSocket, RuleChange } from '../netlink/index.js';
import type { CheckedUp } from './options.js';
import type { RedirectState, Snapshot } from './state.js';
import type { RedirectStatus, VpnLink } from './status.js';

export interface Changes {
  /** The route changes made, in order; empty when the table already was as wanted. */
  changes: Change[];
  /** The rule changes, in order. */
  rules?: RuleChange[];
}

/** What a strategy's `up` did: its changes, and the state it recorded for them. */
export interface Made extends Changes {
  state: RedirectState;
}

/** A peers change: the list before (the snapshot's peers are the list after) and the new addresses to refuse. */
export interface PeersChange {
  before: Snapshot['peers'];
  /** A peer among these that cannot bypass the VPN refuses the change. */
  added: ReadonlySet<string>;
}

export interface Strategy {
  /** Brings the kernel to what `o` wants; `state` is this strategy's state in place, if any. */
  up(nl: RouteSocket, snap: Snapshot, o: CheckedUp, state: RedirectState | undefined): Promise<Made>;
  /**
   * SERVER-down under a kill switch or the lockdown (the state already says suspended): what goes while tinc
   * reconnects. Absent where everything holds as it is.
   */
  suspend?(nl: RouteSocket, snap: Snapshot, state: RedirectState): Promise<Changes>;
  /**
   * Takes away what `state` records, by its routes where they are of `protocol`, else by the kernel's; with no
   * state (lost), what this strategy makes at its defaults.
   */
  down(nl: RouteSocket, snap: Snapshot, state: RedirectState | undefined, protocol: number): Promise<Changes>;
  /** The peers changed while the redirect is recorded (`state`, `o` its options): its exceptions in line. */
  peersChanged(
    nl: RouteSocket,
    snap: Snapshot,
    o: CheckedUp,
    state: RedirectState,
    change: PeersChange,
  ): Promise<Changes>;
  /** What the kernel shows of the redirect on `name`, and what is wrong with it. */
  status(nl: RouteSocket, name: string, state: RedirectState | undefined, look: StatusLook): Promise<RedirectStatus>;
}

/**
 * What status knows beside the state: the protocol asked for, whether the redirect is elsewhere, and what a hold
 * is judged by that is not the strategy's (status.ts, judgeHold): the VPN interface, the lockdown's firewall.
 */
export interface StatusLook {
  nsId: string;
  protocol: number;
  elsewhere: boolean;
  vpn: VpnLink;
  /** The lockdown's table holds every rule it should (lockdown/): it refuses what the VPN does not carry. */
  lockdownRefusing: boolean;
}

export function merge(a: Changes | undefined, b: Changes): Changes {
  const rules = [...(a?.rules ?? []), ...(b.rules ?? [])];
  return { changes: [...(a?.changes ?? []), ...b.changes], ...(rules.length ? { rules } : {}) };
}
