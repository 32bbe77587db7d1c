// One decision's look at what is kept under /run/redirect-gateway, taken once under the namespace's lock: the
// redirect's state, its mesh peers, what `up --dns` did, and (looked for on the first question, as `down` rarely
// asks: a directory read) the other redirect of the namespace if there is one. Every function below the lock takes
// this value; none reads a file of its own. The kernel's policy rules are dumped at most once a decision too, for
// every part that owns some (each at its own priorities): a part changes only rules at its priorities, so what the
// dump shows of the others' stays true for the whole decision.
import { readDnsRecord, type DnsRecord } from '../dns/index.js';
import type { RouteSocket, Rule } from '../netlink/index.js';
import { otherStates, readPeers, readState, type Peer, type RedirectState } from './state.js';

export interface Snapshot {
  readonly nsId: string;
  readonly iface: string;
  /** The redirect on `iface` as its state file records it, if it has one. */
  readonly state: RedirectState | undefined;
  /** The namespace's redirect when it is on another interface (there is one per namespace), read on the first call. */
  elsewhere(): RedirectState | undefined;
  readonly peers: Peer[];
  /** What `up --dns` set for `iface`, if anything. */
  readonly dns: DnsRecord | undefined;
  /** The kernel's policy rules, dumped on the first call of the decision. */
  rules(): Promise<Rule[]>;
}

export function takeSnapshot(nl: RouteSocket, nsId: string, iface: string): Snapshot {
  let other: { state: RedirectState | undefined } | undefined;
  let dump: Promise<Rule[]> | undefined;
  return {
    nsId,
    iface,
    state: readState(nsId, iface),
    elsewhere: () => (other ??= { state: otherStates(nsId, iface)[0] }).state,
    peers: readPeers(nsId, iface),
    dns: readDnsRecord(nsId, iface),
    rules: () => (dump ??= nl.listRules()),
  };
}
