// The route operations of a RouteSocket (it delegates to these, as to rules.ts for rules): dumps read batch by
// batch, lookups, and changes pipelined to the kernel. Each validates its input at once (InvalidInputError:
// nothing is sent) and returns the request, for the socket's queue to make.
import { parseAddress, parsePrefix } from '../address.js';
import { InvalidInputError, NetlinkError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import { changeChunks } from './change-batch.js';
import { describeSpec } from './describe.js';
import { linkIndex, noSuchDevice } from './link.js';
import type { NativeDump, NativeError, NativeHandle, RouteBatch } from './native.js';
import { changeResults, fromNative, type Refused } from './native-error.js';
import { ChangeEncoder, protocolNumber, setOif, tableNumber } from './route-spec.js';
import type {
  BulkChangeOptions,
  BulkChangeResult,
  Change,
  ChangeResult,
  GetRouteOptions,
  ListRoutesOptions,
  Route,
  RouteQuery,
} from './types.js';
import {
  decodeRoutes,
  familyNumber,
  RECORD_SIZE,
  RouteDecoder,
  tableOf,
  type RareFieldsList,
  type RecordBuffer,
} from './wire.js';

const ESRCH = 3;
const EINTR = 4;
/** Routes per batch of a dump: the addon reads the next batch while JS turns this one into objects. */
const DUMP_BATCH = 16384;
/**
 * Routes per batch of a stream: small, so that routes die young (a batch is gone before the next
 * scavenge) and the process's memory stays flat whatever the size of the table.
 */
const STREAM_BATCH = 512;
/** Changes per trip to the pool: bounds the memory of a huge batch in flight. */
const CHANGE_CHUNK = 65536;
const DUMP_RETRIES = 3;
/**
 * A lookup's errors that mean "no such route": ESRCH, ENOENT, ENETUNREACH; and those of a lookup that ended
 * on a reject route (unreachable EHOSTUNREACH, blackhole EINVAL, prohibit EACCES, throw EAGAIN), where no
 * unicast route is to be found: findRoutes does not find reject routes themselves.
 */
const NOT_FOUND = new Set([3, 2, 101, 113, 22, 13, 11]);

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

/**
 * A dump's batches, asking for the next batch before handing this one over: the addon reads on while JS
 * decodes. Errors are the addon's.
 */
async function* dumpBatches(dump: NativeDump, batchRoutes: number): AsyncGenerator<RouteBatch, void, undefined> {
  let pending: Promise<unknown> | undefined;
  try {
    let next = dump.next(batchRoutes);
    pending = next;
    for (;;) {
      const batch = await next;
      pending = undefined;
      if (!batch) return;
      if (!batch.done) pending = next = dump.next(batchRoutes);
      yield batch;
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

/** A refused route change's error; a delete the kernel refused with ESRCH and no word: 'no such route'. */
function refusedRoute({ op, route }: Change, errno: number, extack: string | undefined): Refused {
  return {
    operation: operationName(op),
    subject: describeSpec(route),
    route,
    reason: errno === ESRCH && op === 'delete' && !extack ? 'no such route' : undefined,
  };
}

/** The routes of a dump, all at once; a dump interrupted by concurrent changes is read again. */
export function listRoutes(options: ListRoutesOptions): (handle: NativeHandle) => Promise<Route[]> {
  const args = dumpArgs(options);
  return async (handle) => {
    const oif = args.dev === undefined ? 0 : linkIndex(handle, args.dev, 'listRoutes', `dev ${args.dev}`);
    for (let attempt = 0; ; attempt++) {
      const routes: Route[] = [];
      const decoder = new RouteDecoder();
      try {
        const dump = handle.dumpRoutes(args.families, args.table, args.protocol, oif, false);
        for await (const batch of dumpBatches(dump, DUMP_BATCH)) decoder.decode(batch, routes);
        return routes;
      } catch (e) {
        // Interrupted by concurrent changes: the kernel's snapshot was inconsistent, read it again.
        if ((e as NativeError)?.errno === EINTR && attempt < DUMP_RETRIES) continue;
        throw fromNative(e, 'listRoutes');
      }
    }
  };
}

/** A dump on a socket of its own, for routeBatches: opening it is the socket's request, reading it is not. */
export function openRouteDump(options: ListRoutesOptions): (handle: NativeHandle) => NativeDump {
  const args = dumpArgs(options);
  return (handle) => {
    const oif = args.dev === undefined ? 0 : linkIndex(handle, args.dev, 'listRoutes', `dev ${args.dev}`);
    try {
      return handle.dumpRoutes(args.families, args.table, args.protocol, oif, true);
    } catch (e) {
      throw fromNative(e, 'listRoutes');
    }
  };
}

/** The batch size of routeBatches, validated. */
export function streamBatchSize(batchSize: number | undefined): number {
  return checkUint(batchSize ?? STREAM_BATCH, 'batch size', 2 ** 24) || STREAM_BATCH;
}

/** The routes of a dump opened by openRouteDump, batch by batch, reading the next while the consumer works. */
export async function* readRouteBatches(dump: NativeDump, batchSize: number): AsyncGenerator<Route[], void, undefined> {
  const decoder = new RouteDecoder();
  try {
    for await (const batch of dumpBatches(dump, batchSize)) {
      const routes = decoder.decode(batch);
      if (routes.length) yield routes;
    }
  } catch (e) {
    throw fromNative(e, 'listRoutes');
  }
}

/** RouteSocket.getRoute: `ip route get`. */
export function getRoute(address: string, options: GetRouteOptions): (handle: NativeHandle) => Route {
  const dst = parseAddress(address, 'destination');
  if (options.oif !== undefined) checkInterfaceName(options.oif);
  const transport = transportOf(options);
  return (handle) => {
    const oif = options.oif === undefined ? 0 : linkIndex(handle, options.oif, 'getRoute', dst.text);
    let batch;
    try {
      batch = handle.getRoute(familyNumber(dst.family), dst.bytes, oif, options.fibMatch === true, ...transport);
    } catch (e) {
      throw fromNative(e, 'getRoute', dst.text);
    }
    const [route] = decodeRoutes(batch);
    return route;
  };
}

/** RouteSocket.findRoutes: the lookups of all queries in one send, each query answered by its exact route. */
export function findRoutes(queries: RouteQuery[]): (handle: NativeHandle) => (Route | undefined)[] {
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
  return (handle) => {
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
  };
}

/** Fills in the records' output interfaces; the first change whose device does not exist fails the call. */
function resolveDevs(
  handle: NativeHandle,
  encoder: ChangeEncoder,
  known: number[],
  records: RecordBuffer,
  devs: Int32Array,
  rare: RareFieldsList,
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
  for (const { hop, slot, record } of rare.devHops) hop.dev = oifOf(slot, record);
}

/** RouteSocket.changeRoutes: every change attempted, in pipelined sends. */
export function changeRoutes(changes: Change[]): (handle: NativeHandle) => Promise<ChangeResult[]> {
  if (!Array.isArray(changes)) throw new InvalidInputError('invalid changes: expected an array');
  const encoder = new ChangeEncoder();
  const { records, devs, rare } = encoder.encode(changes);
  return async (handle) => {
    resolveDevs(handle, encoder, [], records, devs, rare, changes, 0);
    const operation = operationName(changes[0]?.op);
    const results: ChangeResult[] = [];
    try {
      for (const { start, end, onPool } of changeChunks(changes.length, CHANGE_CHUNK)) {
        const chunk = records.bytes.subarray(start * RECORD_SIZE, end * RECORD_SIZE);
        changeResults(changes, start, await handle.change(chunk, rare.take(end), onPool), refusedRoute, results);
      }
    } catch (e) {
      throw fromNative(e, operation);
    }
    return results;
  };
}

/** RouteSocket.bulkChange: chunks encoded while the kernel works on the one before. */
export function bulkChange(
  source: Iterable<Change> | AsyncIterable<Change>,
  options: BulkChangeOptions,
): (handle: NativeHandle) => Promise<BulkChangeResult> {
  const chunkSize = checkUint(options.chunkSize ?? 16384, 'chunk size', 2 ** 24) || 1;
  return async (handle) => {
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
      const { records, devs, rare } = encoder.encode(chunk);
      if (encoder.devNames.length > known.length) await finish(); // the socket must be idle for a lookup
      resolveDevs(handle, encoder, known, records, devs, rare, chunk, 0);
      await finish();
      inFlight = handle.change(records.bytes, rare.fields, true).then(
        (results) => {
          changeResults(chunk, 0, results, refusedRoute, failures, true);
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
  };
}

/**
 * Routes one at a time from batches; cheaper per route than an async generator's yield, which costs several
 * promise hops for every value.
 */
export class RouteIterator implements AsyncIterableIterator<Route> {
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
