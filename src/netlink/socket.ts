// RouteSocket: one netlink socket (in a namespace or not) and the typed route operations on it.
import { parseAddress, parsePrefix } from '../address.js';
import { InvalidInputError, NetlinkError } from '../errors.js';
import { checkInterfaceName, checkNetnsName, checkUint } from '../names.js';
import { describeSpec } from './describe.js';
import { toLink } from './link.js';
import {
  addon,
  type NativeChangeResults,
  type NativeDump,
  type NativeError,
  type NativeHandle,
  type RouteBatch,
} from './native.js';
import { ChangeEncoder, protocolNumber, setOif, tableNumber } from './route-spec.js';
import type { TailWriter } from './route-tail.js';
import type { ListRulesOptions, Rule, RuleSpec } from './rule-types.js';
import type { Address, AddressSpec, ListAddressesOptions } from './address-types.js';
import { addressChange, listAddresses } from './addresses.js';
import { nativeLinkSettings, type LinkSettings } from './link-settings.js';
import { listRules, ruleChange } from './rules.js';
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
import { decodeRoutes, familyNumber, RECORD_SIZE, RouteDecoder, tableOf, type RecordBuffer } from './wire.js';

const ENODEV = 19;
const ESRCH = 3;
const EINTR = 4;
const DEFAULT_TIMEOUT_MS = 5000;
/** Routes per batch of a dump: the addon reads the next batch while JS turns this one into objects. */
const DUMP_BATCH = 16384;
/**
 * Routes per batch of a stream: small, so that routes die young (a batch is gone before the next
 * scavenge) and the process's memory stays flat whatever the size of the table.
 */
const STREAM_BATCH = 512;
/** Up to this many changes go to the kernel from the calling thread; more go through the libuv pool. */
const SYNC_CHANGES = 64;
/** Changes per trip to the pool: bounds the memory of a huge batch in flight. */
const CHANGE_CHUNK = 65536;
const DUMP_RETRIES = 3;
/**
 * A lookup's errors that mean "no such route": ESRCH, ENOENT, ENETUNREACH; and those of a lookup that ended
 * on a reject route (unreachable EHOSTUNREACH, blackhole EINVAL, prohibit EACCES, throw EAGAIN), where no
 * unicast route is to be found: findRoutes does not find reject routes themselves.
 */
const NOT_FOUND = new Set([3, 2, 101, 113, 22, 13, 11]);

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

const TRANSPORTS = { tcp: 6, udp: 17 } as const;

/** getRoute's ipProto and dport as the addon takes them: none, or both. */
function transportOf(options: GetRouteOptions): [] | [number, number] {
  if (options.ipProto === undefined && options.dport === undefined) return [];
  const proto = options.ipProto === undefined ? undefined : TRANSPORTS[options.ipProto];
  if (proto === undefined)
    throw new InvalidInputError(`invalid ipProto: ${JSON.stringify(options.ipProto)} (tcp or udp)`);
  return [proto, options.dport === undefined ? 0 : checkUint(options.dport, 'destination port', 65535)];
}

function operationName(op: Change['op'] | undefined): string {
  return `${op ?? 'change'}Route`;
}

function noSuchDevice(dev: string, operation: string, subject: string, route?: object): NetlinkError {
  return new NetlinkError({ errno: ENODEV, operation, subject, route, reason: `no such device: ${dev}` });
}

/** Reads a dump batch by batch into sink, asking for the next batch before handing this one over. */
async function readDump(dump: NativeDump, sink: (batch: RouteBatch) => void, batchRoutes = DUMP_BATCH): Promise<void> {
  let pending: Promise<unknown> | undefined;
  try {
    let next = dump.next(batchRoutes);
    pending = next;
    for (;;) {
      const batch = await next;
      pending = undefined;
      if (!batch.done) pending = next = dump.next(batchRoutes); // the pool reads on while JS decodes
      sink(batch);
      if (batch.done) return;
    }
  } finally {
    // Early exit (an error, a consumer that stopped): the read in flight must end before the dump does.
    if (pending) await pending.catch(() => undefined);
    await dump.close();
  }
}

interface DumpArgs {
  families: number[];
  table: number;
  protocol: number;
  dev?: string;
}

function dumpArgs(options: ListRoutesOptions): DumpArgs {
  const { family, table = 'main', protocol, dev } = options;
  if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
  if (dev !== undefined) checkInterfaceName(dev);
  return {
    families: family ? [familyNumber(family)] : [familyNumber(4), familyNumber(6)],
    table: table === 'all' ? 0 : tableNumber(table),
    protocol: protocol === undefined ? 0 : protocolNumber(protocol),
    dev,
  };
}

function changeResults(
  changes: readonly Change[],
  offset: number,
  { errors, messages }: NativeChangeResults,
  out: ChangeResult[],
  onlyFailures: boolean,
): void {
  for (let i = 0; i < errors.length; i++) {
    const change = changes[offset + i];
    if (errors[i] === 0) {
      if (!onlyFailures) out.push({ change });
      continue;
    }
    out.push({
      change,
      error: new NetlinkError({
        errno: errors[i],
        operation: operationName(change.op),
        subject: describeSpec(change.route),
        route: change.route,
        extack: messages[i],
        reason: errors[i] === ESRCH && change.op === 'delete' && !messages[i] ? 'no such route' : undefined,
      }),
    });
  }
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

  /** The interface's index (a targeted lookup, whatever the number of links), or a no-such-device error. */
  #oif(handle: NativeHandle, dev: string, operation: string, subject: string, route?: object): number {
    let index;
    try {
      [index] = handle.linkIndexes([dev]);
    } catch (e) {
      throw fromNative(e, operation);
    }
    if (!index) throw noSuchDevice(dev, operation, subject, route);
    return index;
  }

  async listRoutes(options: ListRoutesOptions = {}): Promise<Route[]> {
    const args = dumpArgs(options);
    return this.#serial(async (handle) => {
      const oif = args.dev === undefined ? 0 : this.#oif(handle, args.dev, 'listRoutes', `dev ${args.dev}`);
      for (let attempt = 0; ; attempt++) {
        const routes: Route[] = [];
        const decoder = new RouteDecoder();
        try {
          await readDump(handle.dumpRoutes(args.families, args.table, args.protocol, oif, false), (batch) =>
            decoder.decode(batch, routes),
          );
          return routes;
        } catch (e) {
          // Interrupted by concurrent changes: the kernel's snapshot was inconsistent, read it again.
          if ((e as NativeError)?.errno === EINTR && attempt < DUMP_RETRIES) continue;
          throw fromNative(e, 'listRoutes');
        }
      }
    });
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
    const args = dumpArgs(options);
    const batchSize = checkUint(options.batchSize ?? STREAM_BATCH, 'batch size', 2 ** 24) || STREAM_BATCH;
    const dump = await this.#serial((handle) => {
      const oif = args.dev === undefined ? 0 : this.#oif(handle, args.dev, 'listRoutes', `dev ${args.dev}`);
      try {
        return handle.dumpRoutes(args.families, args.table, args.protocol, oif, true);
      } catch (e) {
        throw fromNative(e, 'listRoutes');
      }
    });
    const decoder = new RouteDecoder();
    let pending: Promise<RouteBatch> | undefined;
    try {
      let next = dump.next(batchSize);
      pending = next;
      for (;;) {
        const batch: RouteBatch = await next.catch((e) => Promise.reject(fromNative(e, 'listRoutes')));
        pending = undefined;
        if (!batch.done) pending = next = dump.next(batchSize); // read on while the consumer works
        const routes = decoder.decode(batch);
        if (routes.length) yield routes;
        if (batch.done) return;
      }
    } finally {
      if (pending) await pending.catch(() => undefined);
      await dump.close();
    }
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
    const dst = parseAddress(address, 'destination');
    if (options.oif !== undefined) checkInterfaceName(options.oif);
    const transport = transportOf(options);
    return this.#serial((handle) => {
      const oif = options.oif === undefined ? 0 : this.#oif(handle, options.oif, 'getRoute', dst.text);
      let batch;
      try {
        batch = handle.getRoute(familyNumber(dst.family), dst.bytes, oif, options.fibMatch === true, ...transport);
      } catch (e) {
        throw fromNative(e, 'getRoute', dst.text);
      }
      const [route] = decodeRoutes(batch);
      return route;
    });
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
    if (!Array.isArray(queries)) throw new InvalidInputError('invalid queries: expected an array');
    const parsed = queries.map((q) => {
      if (typeof q !== 'object' || q === null) throw new InvalidInputError('invalid query: expected an object');
      const dst = parsePrefix(q.dst, 'destination');
      if (q.dev !== undefined) checkInterfaceName(q.dev);
      return {
        dst,
        dev: q.dev,
        protocol: q.protocol === undefined ? undefined : protocolNumber(q.protocol),
        metric: q.metric === undefined ? undefined : checkUint(q.metric, 'metric'),
        table: q.table === undefined ? undefined : tableOf(tableNumber(q.table)),
      };
    });
    return this.#serial((handle) => {
      const names = [...new Set(parsed.flatMap((q) => (q.dev === undefined ? [] : [q.dev])))];
      let indexes: number[] = [];
      try {
        if (names.length) indexes = handle.linkIndexes(names);
      } catch (e) {
        throw fromNative(e, 'findRoutes');
      }
      const oifOf = new Map(names.map((name, i) => [name, indexes[i]]));
      const out: (Route | undefined)[] = new Array(parsed.length).fill(undefined);
      const asked: number[] = []; // which query each lookup answers
      const families: number[] = [];
      const oifs: number[] = [];
      const addresses = new Uint8Array(parsed.length * 16);
      parsed.forEach((q, i) => {
        const oif = q.dev === undefined ? 0 : oifOf.get(q.dev)!;
        if (q.dev !== undefined && !oif) return; // no such device: no route through it
        addresses.set(q.dst.bytes, asked.length * 16);
        // The unspecified address is no destination to the kernel (it means "this host"): ask for an address
        // next to it, still inside the prefix (::1 is loopback, so ::2 for IPv6).
        const max = q.dst.family === 4 ? 32 : 128;
        if (q.dst.bytes.every((b) => b === 0) && q.dst.length < max - 1) addresses[asked.length * 16 + max / 8 - 1] = 2;
        asked.push(i);
        families.push(familyNumber(q.dst.family));
        oifs.push(oif);
      });
      if (asked.length === 0) return out;
      let answer;
      try {
        const known = names.filter((_, k) => indexes[k]);
        answer = handle.getRoutes(
          families,
          addresses.subarray(0, asked.length * 16),
          oifs,
          true,
          known.map((n) => oifOf.get(n)!),
          known,
        );
      } catch (e) {
        throw fromNative(e, 'findRoutes');
      }
      answer.errors.forEach((errno, k) => {
        if (errno && !NOT_FOUND.has(errno)) {
          throw new NetlinkError({ errno, operation: 'findRoutes', subject: parsed[asked[k]].dst.cidr });
        }
      });
      decodeRoutes(answer).forEach((route, r) => {
        const i = asked[answer.owners[r]];
        const q = parsed[i];
        if (route.dst !== q.dst.cidr) return; // a more or less specific route answered: not this one
        if (q.protocol !== undefined && protocolNumber(route.protocol) !== q.protocol) return;
        if (q.metric !== undefined && (route.metric ?? 0) !== q.metric) return;
        if (q.table !== undefined && route.table !== q.table) return;
        out[i] = route;
      });
      return out;
    });
  }

  async addRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'add', route });
  }

  async replaceRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'replace', route });
  }

  async deleteRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'delete', route });
  }

  async #changeOne(change: Change): Promise<void> {
    const [result] = await this.changeRoutes([change]);
    if (result.error) throw result.error;
  }

  /** Fills in the records' output interfaces; the first change whose device does not exist fails the call. */
  #resolveDevs(
    handle: NativeHandle,
    encoder: ChangeEncoder,
    known: number[],
    records: RecordBuffer,
    devs: Int32Array,
    tails: TailWriter,
    changes: readonly Change[],
    offset: number,
  ): void {
    if (known.length < encoder.devNames.length) {
      const names = encoder.devNames.slice(known.length);
      let indexes;
      try {
        indexes = handle.linkIndexes(names);
      } catch (e) {
        throw fromNative(e, operationName(changes[offset]?.op));
      }
      known.push(...indexes);
    }
    const oifOf = (slot: number, record: number) => {
      const oif = known[slot];
      if (!oif) {
        const { op, route } = changes[offset + record];
        throw noSuchDevice(encoder.devNames[slot], operationName(op), describeSpec(route), route);
      }
      return oif;
    };
    for (let i = 0; i < devs.length; i++) if (devs[i] >= 0) setOif(records, i, oifOf(devs[i], i));
    for (let i = 0; i < tails.devAt.length; i++) tails.setOif(i, oifOf(tails.devSlots[i], tails.devRecords[i]));
  }

  /**
   * Many changes in one call, pipelined to the kernel. Every change is attempted; each result says whether
   * the kernel took it. Invalid input fails the whole call before anything is sent.
   */
  async changeRoutes(changes: Change[]): Promise<ChangeResult[]> {
    if (!Array.isArray(changes)) throw new InvalidInputError('invalid changes: expected an array');
    const encoder = new ChangeEncoder();
    const { records, devs, tails } = encoder.encode(changes);
    return this.#serial(async (handle) => {
      this.#resolveDevs(handle, encoder, [], records, devs, tails, changes, 0);
      const operation = operationName(changes[0]?.op);
      const results: ChangeResult[] = [];
      try {
        if (changes.length <= SYNC_CHANGES) {
          changeResults(changes, 0, handle.change(records.bytes, tails.bytes, false), results, false);
          return results;
        }
        for (let start = 0; start < changes.length; start += CHANGE_CHUNK) {
          const end = Math.min(changes.length, start + CHANGE_CHUNK);
          const chunk = records.bytes.subarray(start * RECORD_SIZE, end * RECORD_SIZE);
          changeResults(changes, start, await handle.change(chunk, tails.take(end), true), results, false);
        }
      } catch (e) {
        throw fromNative(e, operation);
      }
      return results;
    });
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
    const chunkSize = checkUint(options.chunkSize ?? 16384, 'chunk size', 2 ** 24) || 1;
    return this.#serial(async (handle) => {
      const encoder = new ChangeEncoder();
      const known: number[] = [];
      const failures: ChangeResult[] = [];
      let applied = 0;
      let inFlight: Promise<void> | undefined;
      const finish = async () => {
        const current = inFlight;
        inFlight = undefined;
        if (current) await current;
      };
      const send = async (chunk: Change[]) => {
        const { records, devs, tails } = encoder.encode(chunk);
        if (encoder.devNames.length > known.length) await finish(); // the socket must be idle for a lookup
        this.#resolveDevs(handle, encoder, known, records, devs, tails, chunk, 0);
        await finish();
        inFlight = handle.change(records.bytes, tails.bytes, true).then(
          (results) => {
            changeResults(chunk, 0, results, failures, true);
            applied += chunk.length;
          },
          (e) => Promise.reject(fromNative(e, operationName(chunk[0]?.op))),
        );
        inFlight.catch(() => undefined); // observed in finish()
      };
      try {
        let chunk: Change[] = [];
        if (Symbol.iterator in source) {
          // A plain iterable: no promise per change (for await would make one for each).
          for (const change of source) {
            chunk.push(change);
            if (chunk.length === chunkSize) {
              await send(chunk);
              chunk = [];
            }
          }
        } else {
          for await (const change of source) {
            chunk.push(change);
            if (chunk.length === chunkSize) {
              await send(chunk);
              chunk = [];
            }
          }
        }
        if (chunk.length) await send(chunk);
        await finish();
      } catch (e) {
        await inFlight?.catch(() => undefined);
        if (e instanceof Error) Object.assign(e, { bulk: { applied, failures } });
        throw e;
      }
      return { applied, failed: failures.length, failures };
    });
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
    const change = ruleChange(rule, true);
    return this.#serial(change);
  }

  /** Deletes the first rule that matches the fields given, as `ip rule del` does (none: ENOENT). */
  async deleteRule(rule: RuleSpec): Promise<void> {
    const change = ruleChange(rule, false);
    return this.#serial(change);
  }

  /** The interfaces' addresses (`ip addr show`), filtered by family and device where given. */
  async listAddresses(options: ListAddressesOptions = {}): Promise<Address[]> {
    return this.#serial((handle) => listAddresses(handle, options));
  }

  /** Adds an address as `ip addr add` does (one that exists: EEXIST). */
  async addAddress(address: AddressSpec): Promise<void> {
    const change = addressChange(address, true);
    return this.#serial((handle) => change(handle, (dev, op, subject) => this.#oif(handle, dev, op, subject)));
  }

  /**
   * Deletes an address as `ip addr del` does (none such: EADDRNOTAVAIL). Deleting a primary IPv4 address deletes
   * the secondaries of its subnet too, unless the interface's promote_secondaries is set: the kernel's choice.
   */
  async deleteAddress(address: AddressSpec): Promise<void> {
    const change = addressChange(address, false);
    return this.#serial((handle) => change(handle, (dev, op, subject) => this.#oif(handle, dev, op, subject)));
  }

  /** Brings a link up or down and sets its MTU, as `ip link set NAME up mtu N` does. */
  async setLink(name: string, settings: LinkSettings): Promise<void> {
    checkInterfaceName(name);
    const { up, mtu } = nativeLinkSettings(settings);
    return this.#serial((handle) => {
      const index = this.#oif(handle, name, 'setLink', name);
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

/**
 * Routes one at a time from batches; cheaper per route than an async generator's yield, which costs several
 * promise hops for every value.
 */
class RouteIterator implements AsyncIterableIterator<Route> {
  #batch: Route[] = [];
  #at = 0;
  constructor(readonly batches: AsyncGenerator<Route[], void, undefined>) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Route> {
    return this;
  }

  next(): Promise<IteratorResult<Route>> {
    if (this.#at < this.#batch.length) return Promise.resolve({ done: false, value: this.#batch[this.#at++] });
    return this.#refill();
  }

  async #refill(): Promise<IteratorResult<Route>> {
    const next = await this.batches.next();
    if (next.done) return { done: true, value: undefined };
    this.#batch = next.value;
    this.#at = 1;
    return { done: false, value: next.value[0] };
  }

  async return(): Promise<IteratorResult<Route>> {
    this.#batch = [];
    await this.batches.return();
    return { done: true, value: undefined };
  }
}
