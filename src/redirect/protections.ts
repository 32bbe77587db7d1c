// The leak protections beside the strategy, each a part that plans its own changes against the snapshot and the
// state the strategy recorded: the lockdown (lockdown/), the kill switch's rules for sockets bound to the uplink
// (uplink-rules.ts) and its rules for DNS (dns-rules.ts). A new protection is a new part here, and its place in
// the order of changes.ts. (The kill switch's fallback routes and `--block-ipv6` are routes the
// strategy plans in the same batch as its own, so that nothing leaks between them; the refusal rules are the
// halves strategy's.)
import type { RouteSocket } from '../netlink/index.js';
import { applyDnsRules } from './dns-rules.js';
import { lockdownDown, lockdownIn, lockdownOfState, lockdownSuspended } from './lockdown/index.js';
import type { CheckedUp } from './options.js';
import type { RedirectState, Snapshot } from './state.js';
import type { Changes } from './strategy.js';
import { applyUplinkRules, uplinkTo } from './uplink-rules.js';

/** The redirect as its strategy has just made it. */
export interface Now {
  /** What `up` asked for. */
  o: CheckedUp;
  /** The state the strategy recorded. */
  state: RedirectState;
  /** The VPN's resolvers that DNS is set to, once it is set (after the routes). */
  resolvers?: string[];
}

export interface Protection {
  /** In line with the redirect as it is made now. */
  up(nl: RouteSocket, snap: Snapshot, now: Now): Promise<Changes>;
  /** SERVER-down, the redirect suspended: what it gives up until the next `up`. */
  suspend(nl: RouteSocket, snap: Snapshot, state: RedirectState): Promise<Changes>;
  /** Its changes away (`protocol`: what `down` was given). */
  down(nl: RouteSocket, snap: Snapshot, protocol: number): Promise<Changes>;
}

const NONE: Changes = { changes: [] };

/** `--lockdown`: our nf_tables table, and the LAN's routes through the VPN that its policy keeps. */
export const lockdown: Protection = {
  async up(nl, snap, { state }) {
    await lockdownIn(nl, snap.state, lockdownOfState(state, snap.peers));
    return NONE;
  },
  async suspend(nl, _snap, state) {
    if (state.lockdown) await lockdownSuspended(nl, state.protocol);
    return NONE;
  },
  // Last of all: a table of its name that is not ours refuses (ForeignTableError) after all else is undone.
  async down(nl, snap) {
    if (snap.state?.lockdown) await lockdownDown(nl, snap.state.protocol);
    return NONE;
  },
};

/**
 * The kill switch's rules for sockets bound to the uplink the server is reached by now (none while there is no
 * path to it); a redirect without a kill switch has none.
 */
export const uplinkRules: Protection = {
  async up(nl, snap, { o }) {
    if (!o.killSwitch) return applyUplinkRules(nl, await snap.rules(), o.protocol, undefined);
    const uplink = await uplinkTo(nl, o.remote, o.serverPort);
    return uplink && uplink !== o.iface ? applyUplinkRules(nl, await snap.rules(), o.protocol, uplink) : NONE;
  },
  suspend: async () => NONE,
  async down(nl, snap, protocol) {
    return applyUplinkRules(nl, await snap.rules(), snap.state?.protocol ?? protocol, undefined);
  },
};

/** The kill switch's rules for DNS, while it holds with resolvers of the VPN's. */
export const dnsRules: Protection = {
  async up(nl, snap, { o, resolvers }) {
    return applyDnsRules(nl, await snap.rules(), o.protocol, o.killSwitch ? resolvers : undefined);
  },
  suspend: async () => NONE,
  async down(nl, snap, protocol) {
    return applyDnsRules(nl, await snap.rules(), protocol, undefined);
  },
};
