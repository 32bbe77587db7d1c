// The gateway redirect. Each change reads top to bottom as the design: validate (options.ts); then `decide`: the
// namespace's socket, its lock (the hooks' intents left there done first, intents.ts), one snapshot of its files
// (state.ts); then the change itself (changes.ts): the strategy's look, plan, remember, apply (strategy.ts), the leak
// protections' (protections.ts) and DNS.
//   up:     exception routes for the server (its original path), then 0/1 + 128/1 (or ::/1 + 8000::/1)
//           through the VPN interface, so the original default route is shadowed, never touched.
//   down:   our routes for that interface go, whatever the server's address is now.
//   status: what the kernel shows, and what is wrong with it.
//   addPeer / removePeer: mesh nodes whose real addresses must bypass the VPN too (tinc's host-up/-down).
// The kernel's part is the strategy's: half-routes in main (halves-strategy.ts), or with `strategy: 'rules'` a
// table of ours and policy rules, main untouched (rules-strategy.ts).
import { describeDns } from '../dns/index.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkNetnsName } from '../names.js';
import { open, type RouteSocket } from '../netlink/index.js';
import {
  checkCommon,
  checkPeerAddress,
  checkUp,
  socketOf,
  withSocket,
  type CheckedCommon,
  type CommonOptions,
  type UpOptions,
} from './options.js';
import { isFallback } from './plan.js';
import { namespaceStates, takeSnapshot, type Peer, type Snapshot } from './state.js';
import { namespaceKey, removeNamespaceFiles, withLock } from '../store/index.js';
import { deadFollower } from './follower-file.js';
import { carrierProblem, checkMayReadState, vpnLink, type RedirectStatus } from './status.js';
import { lookAtLockdown, withLockdown } from './lockdown/index.js';
import { changePeersIn, liftIn, redirectToIn, strategyOf, type RedirectResult } from './changes.js';
import {
  describeIntent,
  fulfilPending,
  pendingIntents,
  recordIntent,
  takeLock,
  type Fulfilled,
  type Intent,
} from './intents.js';
import { missingDnsRules } from './dns-rules.js';

export type { UpOptions, CommonOptions } from './options.js';
export { follow, type Follower, type FollowOptions } from './follow.js';
export { endFollower, followAlone, followerOf, type FollowerInfo } from './follower-lifecycle.js';
export type { RedirectStatus } from './status.js';
export { STATE_DIR } from '../store/index.js';
// The checks of `up`'s options, for install-hook: it refuses what the scripts it writes would pass to `hook`.
export { checkRedirect } from './options.js';
export { checkStrategy } from './strategy-options.js';
export { checkLockdown, type LanPolicy } from './lockdown/index.js';

export type { RedirectResult } from './changes.js';
export { describeIntent, type Fulfilled, type Intent, type IntentOptions } from './intents.js';

/** Validate; decide: socket, lock, snapshot; the change: look, plan, remember, apply (changes.ts). */
export async function up(iface: string, remote: string, options: UpOptions = {}): Promise<RedirectResult> {
  const o = Object.assign(checkUp(iface, remote, options), { suspended: false });
  return decide(o, o.iface, (nl, snap) => redirectToIn(nl, snap, o));
}

/**
 * What every change of the redirect does around its `work`: on the namespace's socket, its lock taken (the hooks'
 * intents left there done first), one snapshot of the files; `work` then looks, plans, applies and remembers.
 */
async function decide<T>(o: CheckedCommon, iface: string, work: (nl: RouteSocket, snap: Snapshot) => Promise<T>) {
  const { nl, nsId, close } = await socketOf(o);
  try {
    const lock = await takeLock(nl, nsId, iface, o);
    try {
      return await work(nl, takeSnapshot(nl, nsId, iface));
    } finally {
      await lock.release();
    }
  } finally {
    close();
  }
}

/**
 * What tinc-up does with a kill switch, before tinc first reaches its server (boot, a server that is down): the
 * kill switch's refusals and the server's exception, as after SERVER-down; SERVER-up then adds the half-routes.
 * It holds until `down`: tinc-down (a stop, a restart) only suspends it.
 */
export async function arm(iface: string, remote: string, options: UpOptions = {}): Promise<RedirectResult> {
  if (options.killSwitch !== true && options.lockdown !== true)
    throw new InvalidInputError('arm is for a kill switch or a lockdown: give killSwitch: true or lockdown: true');
  const o = Object.assign(checkUp(iface, remote, options), { suspended: true });
  return decide(o, o.iface, (nl, snap) => redirectToIn(nl, snap, o));
}

export async function down(iface: string, options: CommonOptions = {}): Promise<RedirectResult> {
  return lift(iface, options, false);
}

/**
 * What tinc's SERVER-down and tinc-down do: with a kill switch or the lockdown, the half-routes through the VPN go
 * and everything else stays (the fallback routes refuse traffic, the exception routes keep tinc's own path open to
 * reconnect): the redirect is suspended until the next `up`. Without one, the redirect ends as with `down`.
 */
export async function suspend(iface: string, options: CommonOptions = {}): Promise<RedirectResult> {
  return lift(iface, options, true);
}

async function lift(iface: string, options: CommonOptions, suspending: boolean): Promise<RedirectResult> {
  const o = checkCommon(options);
  return decide(o, checkInterfaceName(iface), (nl, snap) => liftIn(nl, snap, o, suspending));
}

export async function status(iface: string, options?: CommonOptions): Promise<RedirectStatus>;
export async function status(iface?: undefined, options?: CommonOptions): Promise<RedirectStatus[]>;
export async function status(iface?: string, options: CommonOptions = {}): Promise<RedirectStatus | RedirectStatus[]> {
  const o = checkCommon(options);
  if (iface !== undefined) checkInterfaceName(iface);
  checkMayReadState();
  return withSocket(o, async (nl, nsId) => {
    const links = await nl.listLinks();
    const states = namespaceStates(nsId);
    const halves = (await nl.listRoutes({ table: 'main', protocol: o.protocol })).filter(
      (r) => r.dst.endsWith('/1') && !isFallback(r),
    );
    const intents = pendingIntents(nsId);
    const names =
      iface !== undefined
        ? [iface]
        : [
            ...new Set([...states.map((s) => s.iface), ...halves.map((r) => r.dev!), ...intents.map((i) => i.iface)]),
          ].sort();
    const result = [];
    for (const name of names) {
      const state = states.find((s) => s.iface === name);
      // A hold is judged alike whatever the strategy: by the VPN interface and the lockdown's firewall too.
      const vpn = vpnLink(links, name);
      const lockdown = await lookAtLockdown(nl, state, nsId, vpn);
      const elsewhere = states.some((s) => s.iface !== name);
      const look = { nsId, protocol: o.protocol, elsewhere, vpn, lockdownRefusing: !!lockdown?.status.refusing };
      const routes = withFollowerProblem(
        nsId,
        withLockdown(await strategyOf(state).status(nl, name, state, look), lockdown),
      );
      const dead = carrierProblem(routes, links);
      if (dead) routes.problems.push(dead);
      for (const intent of intents.filter((i) => i.iface === name))
        routes.problems.push(
          `pending: ${describeIntent(intent)} (what tincd told a hook that could not take the namespace's lock; the next to take it does it)`,
        );
      const dns = await describeDns(nl, nsId, name, o.timeoutMs);
      const refusals = dns && routes.killSwitch ? await missingDnsRules(nl, o.protocol, dns.servers) : [];
      result.push(dns ? { ...routes, dns, problems: [...routes.problems, ...dns.problems, ...refusals] } : routes);
    }
    return iface !== undefined ? result[0] : result;
  });
}

/** A follower that was started for the redirect and died (killed) follows nothing: a problem until `down`. */
function withFollowerProblem(nsId: string, status: RedirectStatus): RedirectStatus {
  const dead = deadFollower(nsId, status.iface);
  if (dead) status.problems.push(`its follower (pid ${dead.pid}) died: \`up --follow\` starts another`);
  return status;
}

/**
 * Forgets everything kept under /run for the named namespace (states, peers, its lock file), for a namespace
 * about to be deleted with no redirect running in it. (Its files name it by its cookie, never another's; on a
 * kernel without cookies, by its inode, which the next namespace made may get.)
 */
export async function forgetNamespace(netns: string): Promise<void> {
  const nl = await open({ netns: checkNetnsName(netns) });
  try {
    await removeNamespaceFiles(namespaceKey(nl));
  } finally {
    nl.close();
  }
}

/** Remembers a mesh peer's real address and, while the redirect is active, keeps it off the VPN. */
export async function addPeer(
  iface: string,
  node: string,
  address: string,
  options: CommonOptions = {},
): Promise<RedirectResult> {
  const peer = { node: checkNodeName(node), address: checkPeerAddress(address, 'peer address').text };
  return changePeers(iface, options, (peers) => [...peers.filter((p) => p.node !== node), peer], true);
}

/** Forgets a mesh peer and removes its exception route. */
export async function removePeer(iface: string, node: string, options: CommonOptions = {}): Promise<RedirectResult> {
  checkNodeName(node);
  return changePeers(iface, options, (peers) => peers.filter((p) => p.node !== node));
}

/**
 * Many peers' latest events at once (the follower's handoff, src/tinc/mesh-handoff-follower.ts): `read`, called
 * under the lock, gives each node's address, or null when it went down; one reconcile for all of them. An event
 * with no node name or no address a peer can have is not one: that node is left as it was.
 */
export async function foldPeers(
  iface: string,
  read: () => Map<string, string | null>,
  options: CommonOptions = {},
): Promise<RedirectResult> {
  return changePeers(iface, options, (peers) => {
    const events = new Map([...read()].flatMap(([node, address]) => peerEvent(node, address)));
    const up = [...events].flatMap(([node, address]) => (address === null ? [] : [{ node, address }]));
    return [...peers.filter((p) => !events.has(p.node)), ...up];
  });
}

/** A node's event as foldPeers takes it: none when its name or its address would be refused. */
function peerEvent(node: string, address: string | null): [string, string | null][] {
  try {
    checkNodeName(node);
    return [[node, address === null ? null : checkPeerAddress(address, 'peer address').text]];
  } catch (e) {
    if (e instanceof InvalidInputError) return [];
    throw e;
  }
}

function checkNodeName(node: unknown): string {
  if (typeof node !== 'string' || !/^\w+$/.test(node))
    throw new InvalidInputError(`invalid node name: ${JSON.stringify(node)}`);
  return node;
}

/** Records the new peer list and brings the exception routes in line with it (changePeersIn). */
async function changePeers(
  iface: string,
  options: CommonOptions,
  update: (peers: Peer[]) => Peer[],
  refuseBad = false,
): Promise<RedirectResult> {
  const o = checkCommon(options);
  return decide(o, checkInterfaceName(iface), (nl, snap) => changePeersIn(nl, snap, o, update, refuseBad));
}

/** A hook's intent recorded (intents.ts): done by `fulfil`, or, given up, left to the next holder of the lock. */
export interface Intended {
  readonly seq: string;
  /** Takes the namespace's lock and does the intents left there, this one among them (or after them). */
  fulfil(): Promise<Fulfilled[]>;
  /** Lets it go (done, or given up: then a follower watching wakes to do it). */
  leave(): void;
}

/** What tincd told a hook, recorded before anything else is tried, so that it is never lost (intents.ts). */
export async function intend(intent: Intent, options: CommonOptions = {}): Promise<Intended> {
  const o = checkCommon(options);
  const checked = checkIntent(intent);
  const { nl, nsId, close } = await socketOf(o);
  try {
    const held = await recordIntent(nsId, checked);
    return {
      seq: held.seq,
      fulfil: () => withLock(nsId, checked.iface, () => fulfilPending(nl, nsId, { own: held, timeoutMs: o.timeoutMs })),
      leave() {
        held.leave();
        close();
      },
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** An intent as `up`, `arm`, `suspend`, `addPeer` and `removePeer` would take it, or an InvalidInputError. */
function checkIntent(intent: Intent): Intent {
  const iface = checkInterfaceName(intent.iface);
  switch (intent.change) {
    case 'up':
    case 'arm': {
      const options = intent.options;
      if (intent.change === 'arm' && options.killSwitch !== true && options.lockdown !== true)
        throw new InvalidInputError('arm is for a kill switch or a lockdown: give killSwitch: true or lockdown: true');
      return { ...intent, iface, remote: checkUp(iface, intent.remote, options).remote.text };
    }
    case 'suspend':
      return { change: 'suspend', iface };
    case 'peer':
      return {
        change: 'peer',
        iface,
        node: checkNodeName(intent.node),
        address: intent.address === null ? null : checkPeerAddress(intent.address, 'peer address').text,
      };
    default:
      throw new InvalidInputError(`invalid intent: ${JSON.stringify(intent)}`);
  }
}
