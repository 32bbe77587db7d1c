// RouteSocket: one netlink socket (in a namespace or not) and the typed operations on it, which queue here and
// are each kernel object's own: routes.ts, rules.ts, addresses.ts, link.ts, sockets.ts, sysctl.ts, watch.ts.
import { InvalidInputError, type NetlinkError } from '../errors.js';
import { checkInterfaceName, checkNetnsName, checkUint } from '../names.js';
import { linkIndex, toLink } from './link.js';
import { addon, type NativeHandle } from './native.js';
import type { ListRulesOptions, Rule, RuleChange, RuleChangeResult, RuleSpec } from './rule-types.js';
import type { Address, AddressSpec, ListAddressesOptions } from './address-types.js';
import { addressChange, listAddresses } from './addresses.js';
import { nativeLinkSettings, type LinkSettings } from './link-settings.js';
import {
  bulkChange,
  changeRoutes,
  findRoutes,
  getRoute,
  listRoutes,
  openRouteDump,
  readRouteBatches,
  RouteIterator,
  streamBatchSize,
} from './routes.js';
import { changeRules, listRules } from './rules.js';
import { checkSysctlName, checkSysctlValue } from './sysctl.js';
import { destroySockets, listSockets, type SocketFilter, type SocketInfo } from './sockets.js';
import type {
  BulkChangeOptions,
  BulkChangeResult,
  Change,
  ChangeResult,
  GetRouteOptions,
  Link,
  ListRoutesOptions,
  Route,
  RouteQuery,
  RouteSpec,
} from './types.js';
import { fromNative } from './native-error.js';
import { EventStream, watchFilter, type WatchOptions } from './watch.js';

const DEFAULT_TIMEOUT_MS = 5000;

export interface OpenOptions {
  /** A name under /run/netns (as `ip netns add` makes), or an absolute path to a namespace file. */
  netns?: string;
  /** How long any one reply from the kernel may take before the call fails with ETIMEDOUT. */
  timeoutMs?: number;
}

/** Opens a route socket in the caller's network namespace, or in `netns`. */
export async function open(options: OpenOptions = {}): Promise<RouteSocket> {
  const netns = options.netns === undefined ? '' : checkNetnsName(options.netns);
  const timeoutMs = checkUint(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeout', 2 ** 31 - 1);
  try {
    return new RouteSocket(addon.open(netns, timeoutMs), options.netns);
  } catch (e) {
    throw fromNative(e, 'open', netns ? `netns ${netns}` : undefined);
  }
}

/** A batch of one change as a call of its own: the kernel's refusal of it thrown. */
async function throwIfRefused(results: Promise<{ error?: NetlinkError }[]>): Promise<void> {
  const [result] = await results;
  if (result.error) throw result.error;
}

export class RouteSocket {
  #handle: NativeHandle | undefined;
  // The kernel answers one request at a time per socket; calls queue here in the order they were made.
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * The cookie of the socket's network namespace (SO_NETNS_COOKIE, Linux 5.14+), in decimal: unlike the
   * namespace's inode number, the kernel never gives it to another namespace until it reboots. Undefined on
   * older kernels.
   */
  readonly netnsCookie: string | undefined;

  constructor(
    handle: NativeHandle,
    readonly netns?: string,
  ) {
    this.#handle = handle;
    this.netnsCookie = handle.netnsCookie();
  }

  #serial<T>(work: (handle: NativeHandle) => T | Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      if (!this.#handle) throw new InvalidInputError('the route socket is closed');
      return work(this.#handle);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async listRoutes(options: ListRoutesOptions = {}): Promise<Route[]> {
    return this.#serial(listRoutes(options));
  }

  /**
   * The routes, batch by batch (arrays of about `batchSize` routes, 512 by default: the kernel's replies are
   * read whole, so a batch ends at the first reply that reaches the size), read on a socket of its own in the same
   * namespace: memory stays that of a batch or two whatever the size of the table, and this socket stays free
   * for other calls meanwhile. A dump interrupted by concurrent changes ends with an EINTR error after the
   * routes it did read.
   */
  async *routeBatches(
    options: ListRoutesOptions & { batchSize?: number } = {},
  ): AsyncGenerator<Route[], void, undefined> {
    const open = openRouteDump(options);
    const batchSize = streamBatchSize(options.batchSize);
    yield* readRouteBatches(await this.#serial(open), batchSize);
  }

  /**
   * The routes one by one, as routeBatches reads them: `for await (const route of nl.routes()) ...`. Memory
   * stays that of a batch or two, whatever the size of the table.
   */
  routes(options: ListRoutesOptions & { batchSize?: number } = {}): AsyncIterableIterator<Route> {
    return new RouteIterator(this.routeBatches(options));
  }

  /** The route the kernel would use for `address` (`ip route get`), or with fibMatch the table entry. */
  async getRoute(address: string, options: GetRouteOptions = {}): Promise<Route> {
    return this.#serial(getRoute(address, options));
  }

  /**
   * Exact routes without a dump: for each query, the route with exactly that destination (through `dev`,
   * of `protocol`, with `metric`, in `table`, where given), or undefined. All lookups go to the kernel in one
   * send, and each costs the same on a table of 1M routes as on an empty one (a dump filtered by protocol
   * still walks the whole table in the kernel). They use the kernel's own lookup (`ip route get fibmatch`
   * of the prefix's first address, through `dev`): a more specific route through the same device that
   * covers that address hides the one asked for, and of several routes with the same destination and
   * device only the one the kernel prefers (the lowest metric) is seen.
   */
  async findRoutes(queries: RouteQuery[]): Promise<(Route | undefined)[]> {
    return this.#serial(findRoutes(queries));
  }

  async addRoute(route: RouteSpec): Promise<void> {
    return throwIfRefused(this.changeRoutes([{ op: 'add', route }]));
  }

  async replaceRoute(route: RouteSpec): Promise<void> {
    return throwIfRefused(this.changeRoutes([{ op: 'replace', route }]));
  }

  async deleteRoute(route: RouteSpec): Promise<void> {
    return throwIfRefused(this.changeRoutes([{ op: 'delete', route }]));
  }

  /**
   * Many changes in one call, pipelined to the kernel. Every change is attempted; each result says whether
   * the kernel took it. Invalid input fails the whole call before anything is sent.
   */
  async changeRoutes(changes: Change[]): Promise<ChangeResult[]> {
    return this.#serial(changeRoutes(changes));
  }

  /**
   * Bulk changes from any iterable or async iterable (a generator, a stream of parsed lines), applied in
   * pipelined chunks: the next chunk is validated and encoded while the kernel works on this one, and memory
   * stays that of a chunk or two however many changes there are. Failed changes are reported one by one.
   * Unlike changeRoutes, input is validated chunk by chunk: an invalid change fails the call with an
   * InvalidInputError after the chunks before it were applied (`applied` in the error's `bulk` property
   * says how many). The socket is held for the whole call: other calls on it wait until it ends.
   */
  async bulkChange(
    source: Iterable<Change> | AsyncIterable<Change>,
    options: BulkChangeOptions = {},
  ): Promise<BulkChangeResult> {
    return this.#serial(bulkChange(source, options));
  }

  async listLinks(): Promise<Link[]> {
    return this.#serial((handle) => {
      try {
        return handle.listLinks().map(toLink);
      } catch (e) {
        throw fromNative(e, 'listLinks');
      }
    });
  }

  /** One link by name, or undefined: a targeted request, whose cost does not grow with the number of links. */
  async getLink(name: string): Promise<Link | undefined> {
    checkInterfaceName(name);
    return this.#serial((handle) => {
      let link;
      try {
        [link] = handle.getLinks([name]);
      } catch (e) {
        throw fromNative(e, 'getLink', name);
      }
      return link ? toLink(link) : undefined;
    });
  }

  /**
   * Change events (`ip monitor`), read on a socket of its own in the same namespace: an async iterable of
   * WatchEvent, until close(). See WatchOptions for the filter, applied in the addon before anything reaches
   * JS, and WatchEvent for the overrun event (events were lost: re-read the state) and what the kernel does
   * not report: the IPv4 routes it flushes when a device goes down or loses its last address.
   */
  watch(options: WatchOptions = {}): EventStream {
    const filter = watchFilter(options);
    if (!this.#handle) throw new InvalidInputError('the route socket is closed');
    try {
      return new EventStream(this.#handle.watch(filter));
    } catch (e) {
      throw fromNative(e, 'watch');
    }
  }

  /** The policy routing rules (`ip rule show`), IPv4 then IPv6 unless a family is given. */
  async listRules(options: ListRulesOptions = {}): Promise<Rule[]> {
    return this.#serial((handle) => listRules(handle, options));
  }

  /** Adds a rule as `ip rule add` does (an identical rule: EEXIST). */
  async addRule(rule: RuleSpec): Promise<void> {
    return throwIfRefused(this.changeRules([{ op: 'add', rule }]));
  }

  /** Deletes the first rule that matches the fields given, as `ip rule del` does (none: ENOENT). */
  async deleteRule(rule: RuleSpec): Promise<void> {
    return throwIfRefused(this.changeRules([{ op: 'delete', rule }]));
  }

  /**
   * Many rule changes in one call, pipelined to the kernel as changeRoutes sends routes (in order, one send for
   * up to 512; more than 64 through the libuv pool, so that the event loop runs on). Every change is attempted; each
   * result says whether the kernel took it. Invalid input fails the whole call before anything is sent.
   */
  async changeRules(changes: RuleChange[]): Promise<RuleChangeResult[]> {
    return this.#serial(changeRules(changes));
  }

  /** The interfaces' addresses (`ip addr show`), filtered by family and device where given. */
  async listAddresses(options: ListAddressesOptions = {}): Promise<Address[]> {
    return this.#serial((handle) => listAddresses(handle, options));
  }

  /** Adds an address as `ip addr add` does (one that exists: EEXIST). */
  async addAddress(address: AddressSpec): Promise<void> {
    const change = addressChange(address, true);
    return this.#serial(change);
  }

  /**
   * Deletes an address as `ip addr del` does (none such: EADDRNOTAVAIL). Deleting a primary IPv4 address deletes
   * the secondaries of its subnet too, unless the interface's promote_secondaries is set: the kernel's choice.
   */
  async deleteAddress(address: AddressSpec): Promise<void> {
    const change = addressChange(address, false);
    return this.#serial(change);
  }

  /** Brings a link up or down and sets its MTU, as `ip link set NAME up mtu N` does. */
  async setLink(name: string, settings: LinkSettings): Promise<void> {
    checkInterfaceName(name);
    const { up, mtu } = nativeLinkSettings(settings);
    return this.#serial((handle) => {
      const index = linkIndex(handle, name, 'setLink', name);
      try {
        handle.setLink(index, up, mtu);
      } catch (e) {
        throw fromNative(e, 'setLink', name);
      }
    });
  }

  /** A kernel setting of the socket's namespace, /proc/sys/NAME (NAME under net/, like 'net/ipv4/ip_forward'). */
  async getSysctl(name: string): Promise<string> {
    checkSysctlName(name);
    return this.#serial((handle) => {
      try {
        return handle.getSysctl(name);
      } catch (e) {
        throw fromNative(e, 'getSysctl', name);
      }
    });
  }

  /** Writes a kernel setting of the socket's namespace (as `sysctl -w`, for names under net/). */
  async setSysctl(name: string, value: string): Promise<void> {
    checkSysctlName(name);
    checkSysctlValue(value);
    return this.#serial((handle) => {
      try {
        handle.setSysctl(name, value);
      } catch (e) {
        throw fromNative(e, 'setSysctl', name);
      }
    });
  }

  /** The namespace's TCP and UDP sockets that match the filter (ss -tuan), through NETLINK_SOCK_DIAG. */
  async listSockets(filter: SocketFilter = {}): Promise<SocketInfo[]> {
    return this.#serial(listSockets(filter));
  }

  /** Destroys the sockets that match the filter (SOCK_DESTROY, as ss -K does); the result: those destroyed. */
  async destroySockets(filter: SocketFilter): Promise<SocketInfo[]> {
    return this.#serial(destroySockets(filter));
  }

  /** Closes the socket; calls already queued fail. A watch() goes on until it is closed itself. */
  close(): void {
    this.#handle?.close();
    this.#handle = undefined;
  }
}
