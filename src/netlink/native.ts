// Loads the compiled addon and states its interface. Nothing but src/netlink talks to it.
import { addonPath } from './addon-path.js';

export interface NativeLink {
  index: number;
  name: string;
  flags: number;
  mtu: number;
  operstate: number;
}

/**
 * Decoded routes as the addon packs them (native/route_codec.h, namespace packed): words per route, the
 * batch's destinations as one text, and the interned strings that are new since the dump's previous batch.
 */
export interface RouteBatch {
  words: Uint32Array;
  text: string;
  strings: string[];
  /** JSON objects, comma-separated, one per route with HAS_EXTRAS (route_extras.cc). */
  extras: string;
  /** The dump has ended: this is its last batch. */
  done: boolean;
}

/**
 * A change's rare fields, in Route's field names and the kernel's numbers (route-spec.ts validates them,
 * native/route_napi.cc reads them and native/route_codec.cc encodes them): only changes that have them pay for them.
 */
export interface NativeRareFields {
  nexthops?: NativeNexthop[];
  /** By Route.metrics's names, as `ip route` takes them (rtt and rttvar in ms); lock is a mask. */
  metrics?: Record<string, number | string>;
  nhid?: number;
}

/** A next hop: gateway of the route's family, or via of the other (AF_INET or AF_INET6), in bytes. */
export interface NativeNexthop {
  gateway?: Uint8Array;
  via?: { family: number; host: Uint8Array };
  /** The device's index; 0 until it is resolved. */
  dev?: number;
  weight: number;
  /** Only 'onlink'. */
  flags?: string[];
}

export interface NativeChangeResults {
  /** One errno per change, 0 where the kernel took it. */
  errors: Int32Array;
  /** The kernel's extended-ack text, at the index of a change that failed with one. */
  messages: (string | undefined)[];
}

/** A batch of changes' results: made on the calling thread, or with async on the pool, a promise of them. */
export type ChangeResultsOf<Async extends boolean> = Async extends true
  ? Promise<NativeChangeResults>
  : NativeChangeResults;

/**
 * A dump and a watch face JS alike (native/reader_thread.h): a thread of its own reads ahead of JS; next() gives
 * null once no batch will come (closed, or after a dump's last batch); close() settles once that thread has
 * stopped and the socket is let go (closed, when it was the dump's or the watch's own).
 */
export interface NativeReader<B, NextArgs extends unknown[] = []> {
  next(...args: NextArgs): Promise<B | null>;
  close(): Promise<void>;
}

/**
 * A route dump read in batches; the addon reads the next batch while JS decodes this one. maxRoutes: the batch
 * size, taken from the first next(). close() reads an unfinished dump to its end when it runs on the handle's
 * own socket.
 */
export type NativeDump = NativeReader<RouteBatch, [maxRoutes: number]>;

/** What a watch asks the addon for (native/event_reader.h EventFilter); 0 / empty: no filter. */
export interface NativeEventFilter {
  routes: boolean;
  links: boolean;
  addresses: boolean;
  rules: boolean;
  families: number[];
}

/** Events in order: each word's low byte is the kind, bit 8 a deletion; each kind's objects in their lists. */
export interface NativeEventBatch {
  events: Uint32Array;
  routes: RouteBatch;
  links: NativeLink[];
  addresses: NativeAddress[];
  /** The name of each address's interface. */
  addressDevs: string[];
  rules: NativeRule[];
}

export interface NativeWatch extends NativeReader<NativeEventBatch> {
  /** Synchronous: the kernel's filter of route notifications (native/route_filter.h); false: too many addresses. */
  narrowRoutes(families: number[], addresses: Uint8Array, protocol: number, dev: string): boolean;
}

/**
 * The addon's socket. Calls marked synchronous do their kernel round trip on the calling thread (their
 * cost does not grow with the routing table); the others run on the libuv pool.
 */
export interface NativeHandle extends NativeRuleHandle, NativeAddressHandle, NativeSocketHandle {
  /** With ownSocket, the dump runs on a new socket in the same namespace and leaves this one free. */
  dumpRoutes(families: number[], table: number, protocol: number, oif: number, ownSocket: boolean): NativeDump;
  /** Synchronous. */
  getRoute(
    family: number,
    address: Uint8Array,
    oif: number,
    fibMatch: boolean,
    ipProto?: number,
    dport?: number,
  ): RouteBatch;
  /** Synchronous: lookups pipelined in one send; addresses are 16 bytes each (IPv4 in the first 4). */
  getRoutes(
    families: number[],
    addresses: Uint8Array,
    oifs: number[],
    fibMatch: boolean,
    knownIndexes?: number[],
    knownNames?: string[],
  ): RouteBatch & { owners: Int32Array; errors: Int32Array };
  /** Synchronous unless async is true. rare: the rare fields of the records that have HAS_RARE_FIELDS, in order. */
  change<Async extends boolean>(records: Uint8Array, rare: NativeRareFields[], async: Async): ChangeResultsOf<Async>;
  /** Synchronous. */
  listLinks(): NativeLink[];
  /** Synchronous: each name's index, 0 where there is no such link. */
  linkIndexes(names: string[]): number[];
  /** Synchronous: each link by name (targeted requests, whatever the number of links), null where none. */
  getLinks(names: string[]): (NativeLink | null)[];
  /** Synchronous: the namespace's cookie (SO_NETNS_COOKIE) in decimal; undefined on a kernel without it. */
  netnsCookie(): string | undefined;
  /** Synchronous: a new socket in the same namespace, joined to the filter's multicast groups. */
  watch(filter: NativeEventFilter): NativeWatch;
  close(): void;
}

export interface NativeAddon {
  /** Synchronous. */
  open(netns: string, timeoutMs: number): NativeHandle;
  /** The locked file's descriptor, or -1 while another process holds the lock. */
  tryLock(path: string): number;
  unlock(fd: number): void;
  listDirectory(path: string): string[];
  syslog(priority: number, message: string): void;
  /** Synchronous: a NETLINK_NETFILTER socket (native/nft_napi.h). */
  openFirewall(netns: string, timeoutMs: number): NativeFirewall;
  /** The rules as nft lists them. */
  lockdownDescribe(rules: NativeFilterRule[]): string[];
  /**
   * By RTAX_* number: iproute2's name of the metric and what the kernel keeps per unit of the value ip takes
   * (native/route_codec.cc has the one table of them).
   */
  routeMetrics(): ({ name: string; scale: number } | null)[];
}

/** The addon's firewall socket (native/nft_napi.h); all its calls are synchronous: a handful of small messages. */
export interface NativeFirewall {
  listMasquerade(): NativeMasqueradeState;
  setMasquerade(rules: NativeMasquerade[]): NativeTableChange;
  /** 'changed': removed; 'unchanged': there was none. */
  removeMasquerade(): NativeTableChange;
  listLockdown(): NativeLockdownState;
  setLockdown(rules: NativeFilterRule[]): NativeTableChange;
  /** 'changed': removed; 'unchanged': there was none. */
  removeLockdown(): NativeTableChange;
  close(): void;
}

/** A masquerade rule going out (native/nft_napi.cc): the source network as bytes. */
export interface NativeMasquerade {
  family: number;
  source: Uint8Array;
  prefixLen: number;
  oif: string;
}

/** What a change did (native/nft_operations.h TableChange); 'not ours': a table of our name not ours, untouched. */
export type NativeTableChange = 'changed' | 'unchanged' | 'not ours';

/** What our table holds (native/nft_operations.h MasqueradeState); sources as 'CIDR' text. */
export interface NativeMasqueradeState {
  exists: boolean;
  oursOnly: boolean;
  owned: boolean;
  rules: { family: number; source: string; oif: string }[];
}

/** A lockdown rule going out (native/nft_filter.h Filter): zero for what it does not match on. */
export interface NativeFilterRule {
  family: number;
  oif: string;
  daddr: Uint8Array;
  daddrLen: number;
  l4proto: number;
  sport: number;
  dport: number;
  icmpTypeMin: number;
  icmpTypeMax: number;
  verdict: 0 | 1;
}

/** What the lockdown's table holds (native/nft_operations.h LockdownState): each chain's rules as nft shows them. */
export interface NativeLockdownState {
  exists: boolean;
  oursOnly: boolean;
  owned: boolean;
  chains: { name: string; exists: boolean; rules: string[] }[];
}

/** A rejection from the addon carries the errno and the kernel's extended-ack text. */
export interface NativeError extends Error {
  errno: number;
  extack: string;
}

// process.dlopen is what require() does for a .node file, without starting the CommonJS loader: a few
// milliseconds less for every process that loads us (the hook runs inside tincd).
const loaded = { exports: {} as NativeAddon };
process.dlopen(loaded, addonPath());
export const addon: NativeAddon = loaded.exports;

/**
 * A rule in the kernel's numbers (native/rule_napi.h), holding only the fields present. Decoded rules carry
 * addresses as text; rules sent carry them as bytes.
 */
export interface NativeRule<A = string> {
  family: number;
  action: number;
  flags: number;
  table: number;
  srcLen: number;
  dstLen: number;
  tos: number;
  priority?: number;
  src?: A;
  dst?: A;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  goto?: number;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  /** FRA_FLOW: the realms. */
  flow?: number;
  uidStart?: number;
  uidEnd?: number;
  ipProto?: number;
  sportStart?: number;
  sportEnd?: number;
  dportStart?: number;
  dportEnd?: number;
  protocol?: number;
}

/** The rule calls of the addon's socket (native/rule_operations.h). */
export interface NativeRuleHandle {
  /** Synchronous, as rules are few. */
  listRules(families: number[]): NativeRule[];
  /**
   * Pipelined, every change attempted in order; synchronous unless async is true. add: RTM_NEWRULE (an identical
   * rule is EEXIST); else RTM_DELRULE (matching the fields present).
   */
  changeRules<Async extends boolean>(
    changes: { add: boolean; rule: NativeRule<Uint8Array> }[],
    async: Async,
  ): ChangeResultsOf<Async>;
}

/** An interface address in the kernel's numbers (native/address_napi.h), with the fields present. */
export interface NativeAddress<A = string> {
  family: number;
  prefixLen: number;
  scope: number;
  flags: number;
  index: number;
  local?: A;
  address?: A;
  broadcast?: A;
  label?: string;
  valid?: number;
  preferred?: number;
}

/** The address calls of the addon's socket (native/address_operations.h); synchronous. */
export interface NativeAddressHandle {
  /** AF_UNSPEC (0): both families. */
  listAddresses(family: number): NativeAddress[];
  changeAddress(add: boolean, address: NativeAddress<Uint8Array>): void;
  /** up: -1 unchanged, 0 down, 1 up; mtu: 0 unchanged (native/link_change.h). */
  setLink(index: number, up: number, mtu: number): void;
  /** The value of /proc/sys/NAME in the socket's namespace (native/sysctl.h; NAME under net/). */
  getSysctl(name: string): string;
  setSysctl(name: string, value: string): void;
}

/** A TCP or UDP socket in the kernel's numbers (native/sock_diag_napi.h); id: the kernel's socket id, for destroying. */
export interface NativeSocket {
  family: number;
  protocol: number;
  state: number;
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  uid: number;
  inode: number;
  id: Uint8Array;
}

/** Socket diagnostics on a NETLINK_SOCK_DIAG socket the handle makes on first use; synchronous. */
export interface NativeSocketHandle {
  /** One dump per family and protocol (AF_INET/AF_INET6, IPPROTO_TCP/IPPROTO_UDP), every state. */
  listSockets(families: number[], protocols: number[]): NativeSocket[];
  /** SOCK_DESTROY for each socket listSockets gave; an errno per socket (0 destroyed, ENOENT gone already). */
  destroySockets(sockets: NativeSocket[]): Int32Array;
}
