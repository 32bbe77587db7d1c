// What `up` was asked for, kept in the state directory (src/store) for `down` and `status`, and the mesh peers; the
// kernel's routes stay the truth: a missing, stale or garbled file only means less to go on. A decision reads them
// once, into its snapshot (takeSnapshot, below).
import { parseAddress, parsePrefix, type Family } from '../address.js';
import { checkInterfaceName } from '../names.js';
import { namesWithSuffix, readFileNoFollow, removeFile, statePath, writeJson } from '../store/index.js';
import { TINC_PORT } from './lockdown/options.js';
import { readDnsRecord, type DnsRecord } from '../dns/index.js';
import type { RouteSocket, Rule } from '../netlink/index.js';
import type { CheckedUp, UpOptions } from './options.js';

export interface RedirectState {
  version: 1;
  iface: string;
  remote: string;
  families: Family[];
  /** The VPN gateway per family (switch style). */
  gateways: Partial<Record<'4' | '6', string>>;
  protocol: number;
  /** Exception routes (CIDR) that belong to this redirect: the server's, and later the mesh peers'. */
  exceptions: string[];
  /**
   * The interface the exception routes leave by, to find the original path again while redirected (under 'rules':
   * the one tinc's packets to the server take); the follower watches it.
   */
  uplink?: string;
  /**
   * Routes of ours that the change in progress deletes (an old server's exception route, the other family's
   * half-routes): recorded with the new state before any route changes, so that a run killed half way leaves
   * nothing the next one cannot find, and dropped once they are gone.
   */
  leftovers?: { dst: string; dev?: string }[];
  /** `up --kill-switch`: fallback routes of ours refuse what the VPN does not carry, until `down`. */
  killSwitch?: boolean;
  /** `up --block-ipv6`: IPv6 beyond the LAN is refused while the redirect is active. */
  blockIpv6?: boolean;
  /** `up --lockdown`: our nf_tables table refuses what leaves outside the VPN, until `down`. */
  lockdown?: boolean;
  /** The LAN policy, when not 'allow'. */
  lan?: 'private' | 'block';
  /** The server's tinc port, when not 655. */
  serverPort?: number;
  /**
   * SERVER-down or tinc-up ran under the kill switch or the lockdown (redirect.suspend, arm): no half-routes nor LAN
   * routes until the next `up`.
   */
  suspended?: boolean;
  /** 'rules' for `--strategy rules` (absent: halves, as older files are); then exceptions are the addresses with rules. */
  strategy?: 'halves' | 'rules';
  /** Under 'rules': our table and the first of our rule priorities. */
  table?: number;
  priority?: number;
}

/** The options `up` was given, as its state recorded them. */
export function upOptionsOf(state: RedirectState): UpOptions {
  return {
    protocol: state.protocol,
    allowForeignProtocol: true, // accepted when the state was made
    gateway: Object.values(state.gateways).filter((g): g is string => !!g),
    family: state.families.length === 2 ? 'both' : state.families[0],
    killSwitch: state.killSwitch,
    blockIpv6: state.blockIpv6,
    lockdown: state.lockdown,
    lan: state.lan,
    serverPort: state.serverPort,
    strategy: state.strategy,
    table: state.table,
    priority: state.priority,
  };
}

/** What every redirect's state records of what `up` was asked for; each strategy adds its own fields. */
export function baseRecord(
  o: CheckedUp,
  exceptions: string[],
): Omit<RedirectState, 'strategy' | 'table' | 'priority' | 'uplink' | 'leftovers'> {
  return {
    version: 1,
    iface: o.iface,
    remote: o.remote.text,
    families: o.families,
    gateways: { 4: o.gateways[4], 6: o.gateways[6] },
    protocol: o.protocol,
    exceptions,
    ...(o.killSwitch ? { killSwitch: true } : {}),
    ...(o.blockIpv6 ? { blockIpv6: true } : {}),
    ...(o.lockdown ? { lockdown: true } : {}),
    ...(o.lan !== 'allow' ? { lan: o.lan } : {}),
    ...(o.serverPort !== TINC_PORT ? { serverPort: o.serverPort } : {}),
  };
}

/** Whether `test` accepts the value without throwing (the parsers below throw on bad input). */
function parses(test: () => unknown): boolean {
  try {
    test();
    return true;
  } catch {
    return false;
  }
}

const isAddress = (text: unknown): boolean => typeof text === 'string' && parses(() => parseAddress(text));

/**
 * A state as `up` writes it, checked field by field: a file that is not exactly that (another version, a value
 * edited by hand, a corruption that still parses as JSON) is no state at all, and the kernel's view is used.
 */
function isState(value: unknown): value is RedirectState {
  const s = value as RedirectState;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || s.version !== 1) return false;
  const families = s.families;
  const gateways = s.gateways as Record<string, unknown>;
  return (
    typeof s.iface === 'string' &&
    parses(() => checkInterfaceName(s.iface)) &&
    isAddress(s.remote) &&
    Array.isArray(families) &&
    families.length > 0 &&
    families.every((f) => f === 4 || f === 6) &&
    new Set(families).size === families.length &&
    typeof gateways === 'object' &&
    gateways !== null &&
    !Array.isArray(gateways) &&
    Object.entries(gateways).every(
      ([k, g]) => (k === '4' || k === '6') && (g === undefined || g === null || isAddress(g)),
    ) &&
    Number.isInteger(s.protocol) &&
    s.protocol >= 0 &&
    s.protocol <= 255 &&
    Array.isArray(s.exceptions) &&
    s.exceptions.every((e) => typeof e === 'string' && parses(() => parsePrefix(e))) &&
    (s.strategy === undefined || s.strategy === 'halves' || s.strategy === 'rules') &&
    [s.table, s.priority].every((n) => n === undefined || (Number.isInteger(n) && n > 0 && n <= 0xffffffff)) &&
    (s.strategy !== 'rules' || (s.table !== undefined && s.priority !== undefined)) &&
    [s.killSwitch, s.blockIpv6, s.suspended, s.lockdown].every((b) => b === undefined || typeof b === 'boolean') &&
    (s.lan === undefined || s.lan === 'private' || s.lan === 'block') &&
    (s.serverPort === undefined || (Number.isInteger(s.serverPort) && s.serverPort > 0 && s.serverPort <= 65535)) &&
    (s.uplink === undefined || (typeof s.uplink === 'string' && parses(() => checkInterfaceName(s.uplink)))) &&
    (s.leftovers === undefined ||
      (Array.isArray(s.leftovers) &&
        s.leftovers.every(
          (l) =>
            typeof l === 'object' &&
            l !== null &&
            parses(() => parsePrefix(l.dst)) &&
            (l.dev === undefined || parses(() => checkInterfaceName(l.dev))),
        )))
  );
}

export function readState(nsId: string, iface: string): RedirectState | undefined {
  const text = readFileNoFollow(statePath(nsId, iface));
  try {
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return isState(value) && value.iface === iface ? value : undefined;
  } catch {
    return undefined; // a truncated or corrupted file: fall back to the kernel's view
  }
}

/** Every redirect recorded in this namespace: one at most, as `up` refuses a second (refuseSecondRedirect). */
export function namespaceStates(nsId: string): RedirectState[] {
  return otherStates(nsId, '');
}

/** The redirects recorded in this namespace on other interfaces than `iface` (whose own file is not read). */
export function otherStates(nsId: string, iface: string): RedirectState[] {
  return namesWithSuffix(nsId, '.json')
    .filter((name) => name !== iface)
    .flatMap((name) => readState(nsId, name) ?? []);
}

export function writeState(nsId: string, state: RedirectState): Promise<void> {
  return writeJson(statePath(nsId, state.iface), state);
}

/** Forgets the redirect's state (called under the interface's lock, like writeState). */
export function removeState(nsId: string, iface: string): Promise<void> {
  return removeFile(statePath(nsId, iface));
}

/** A mesh peer (tinc's host-up): another node whose real address must bypass the VPN while it is redirected. */
export interface Peer {
  node: string;
  address: string;
}

const PEERS = '.peers.json';

/** Peers outlive a redirect: they are known while they are reachable, whether or not the redirect is up. */
export function readPeers(nsId: string, iface: string): Peer[] {
  const text = readFileNoFollow(statePath(nsId, iface, PEERS));
  try {
    const value: unknown = text === undefined ? [] : JSON.parse(text);
    // Only well-formed peers: a node name as tinc has them, and an address.
    return Array.isArray(value)
      ? value.filter((p): p is Peer => typeof p?.node === 'string' && /^\w+$/.test(p.node) && isAddress(p?.address))
      : [];
  } catch {
    return [];
  }
}

export function writePeers(nsId: string, iface: string, peers: Peer[]): Promise<void> {
  return writeJson(statePath(nsId, iface, PEERS), peers);
}

// One decision's look at what is kept under /run/redirect-gateway, taken once under the namespace's lock: the
// redirect's state, its mesh peers, what `up --dns` did, and (looked for on the first question, as `down` rarely
// asks: a directory read) the other redirect of the namespace if there is one. Every function below the lock takes
// this value; none reads a file of its own. The kernel's policy rules are dumped at most once a decision too, for
// every part that owns some (each at its own priorities): a part changes only rules at its priorities, so what the
// dump shows of the others' stays true for the whole decision.
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
