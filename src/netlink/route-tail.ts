// The rare parts of a RouteSpec (next hops, metrics, a nexthop object) as ready rtattrs: the tails that follow
// a change record (native/route_codec.h, RouteChangeTails). Only specs that have them pay for them.
import { endianness } from 'node:os';
import type { Address, Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkUint } from '../names.js';
import { METRIC_NAMES, RTAX_RTT, RTAX_RTTVAR } from './route-extras.js';
import type { RouteSpec, RouteSpecNexthop, RouteVia } from './types.js';
import { familyNumber } from './wire.js';

const LITTLE = endianness() === 'LE';
/** As native/route_codec.h kMaxRouteChangeTail. */
const MAX_TAIL = 8192;
const RTA_GATEWAY = 5;
const RTA_METRICS = 8;
const RTA_MULTIPATH = 9;
const RTA_VIA = 18;
const RTA_NH_ID = 30;
const RTAX_LOCK = 1;
const RTAX_CC_ALGO = 16;
export const RTNH_F_ONLINK = 4;
const NEXTHOP_FIELDS = new Set(['gateway', 'via', 'dev', 'weight', 'flags']);

const METRIC_TYPES = new Map<string, number>(
  METRIC_NAMES.flatMap((name, type) => (name && type !== RTAX_LOCK ? [[name, type] as [string, number]] : [])),
);

/** What the encoder lends the tail writer: its cached parsing and its device slots. */
export interface TailContext {
  address(text: string, what: string): Address;
  devSlot(name: string): number;
}

/** Whether a spec has a tail: the fields that only a tail can carry. */
export function hasTail(spec: RouteSpec): boolean {
  return spec.nexthops !== undefined || spec.metrics !== undefined || spec.nhid !== undefined;
}

/** Only 'onlink' can be asked for; true if it is. */
export function onlinkOf(flags: unknown, what: string): boolean {
  if (flags === undefined) return false;
  if (!Array.isArray(flags) || flags.some((f) => f !== 'onlink')) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(flags)} (only ['onlink'] can be set)`);
  }
  return flags.length > 0;
}

/** A gateway of the other family than the destination's (RTA_VIA). */
export function viaOf(via: RouteVia, dstFamily: Family, ctx: TailContext): Address {
  if (typeof via !== 'object' || via === null || (via.family !== 'inet' && via.family !== 'inet6')) {
    throw new InvalidInputError(`invalid via: expected { family: 'inet' | 'inet6', host }`);
  }
  const address = ctx.address(via.host, 'via');
  if (address.family !== (via.family === 'inet' ? 4 : 6)) {
    throw new InvalidInputError(`invalid via: ${address.text} is not an ${via.family} address`);
  }
  if (address.family === dstFamily) {
    throw new InvalidInputError(`invalid via: ${address.text} is of the destination's family (use gateway)`);
  }
  return address;
}

/** The tails of one batch of records, and the next hops' devices to fill in once they are resolved. */
export class TailWriter {
  #bytes = new Uint8Array(0);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;
  /** The record index of each tail, and where it starts (its u32 length). */
  readonly #records: number[] = [];
  readonly #starts: number[] = [];
  #taken = 0;
  /** Where each next hop's rtnh_ifindex is, its device slot and its record. */
  readonly devAt: number[] = [];
  readonly devSlots: number[] = [];
  readonly devRecords: number[] = [];

  /** All the tails. */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** The tails of records [previous end, end): for the records' chunks, in order. */
  take(end: number): Uint8Array {
    const from = this.#taken;
    let k = from;
    while (k < this.#records.length && this.#records[k] < end) k++;
    this.#taken = k;
    const startOf = (j: number) => (j < this.#starts.length ? this.#starts[j] : this.#length);
    return this.#bytes.subarray(startOf(from), startOf(k));
  }

  /** Sets a next hop's output interface. */
  setOif(i: number, oif: number): void {
    this.#view.setUint32(this.devAt[i], oif, LITTLE);
  }

  /** Writes record's tail for spec; the caller has checked that it has one. */
  write(record: number, spec: RouteSpec, dstFamily: Family, ctx: TailContext): void {
    const start = this.#length;
    this.#records.push(record);
    this.#starts.push(start);
    this.#reserve(4);
    if (spec.nexthops !== undefined) this.#nexthops(record, spec, dstFamily, ctx);
    if (spec.metrics !== undefined) this.#metrics(spec.metrics);
    if (spec.nhid !== undefined) {
      if (spec.gateway !== undefined || spec.via !== undefined || spec.dev !== undefined || spec.nexthops) {
        throw new InvalidInputError('invalid route: a route with nhid has no gateway, via, device or next hops');
      }
      this.#u32Attr(RTA_NH_ID, checkUint(spec.nhid, 'nhid'));
    }
    const length = this.#length - start - 4;
    if (length > MAX_TAIL) throw new InvalidInputError(`invalid route: too many next hops or metrics`);
    this.#view.setUint32(start, length, LITTLE);
  }

  #nexthops(record: number, spec: RouteSpec, dstFamily: Family, ctx: TailContext): void {
    const hops = spec.nexthops;
    if (!Array.isArray(hops) || hops.length === 0) {
      throw new InvalidInputError('invalid next hops: expected a non-empty array');
    }
    if (spec.gateway !== undefined || spec.via !== undefined || spec.dev !== undefined) {
      throw new InvalidInputError('invalid route: a route with next hops has no gateway, via or device of its own');
    }
    const multipath = this.#begin(RTA_MULTIPATH);
    for (const hop of hops) {
      if (typeof hop !== 'object' || hop === null) throw new InvalidInputError('invalid next hop: expected an object');
      for (const key in hop) {
        if (!NEXTHOP_FIELDS.has(key) && Object.hasOwn(hop, key)) {
          throw new InvalidInputError(`invalid next hop: unknown field ${JSON.stringify(key)}`);
        }
      }
      this.#nexthop(record, hop, dstFamily, ctx);
    }
    this.#end(multipath);
  }

  #nexthop(record: number, hop: RouteSpecNexthop, dstFamily: Family, ctx: TailContext): void {
    const gateway = hop.gateway === undefined ? undefined : ctx.address(hop.gateway, 'gateway');
    if (gateway && gateway.family !== dstFamily) {
      throw new InvalidInputError(`invalid next hop: ${gateway.text} is not of the destination's family (use via)`);
    }
    const via = hop.via === undefined ? undefined : viaOf(hop.via, dstFamily, ctx);
    if (gateway && via) throw new InvalidInputError('invalid next hop: a gateway and a via');
    if (!gateway && !via && hop.dev === undefined)
      throw new InvalidInputError('invalid next hop: no gateway or device');
    const onlink = onlinkOf(hop.flags, 'next hop flags');
    if (onlink && hop.dev === undefined) throw new InvalidInputError('invalid next hop: onlink needs a device');
    const weight = hop.weight === undefined ? 1 : checkUint(hop.weight, 'weight', 256);
    if (weight < 1) throw new InvalidInputError(`invalid weight: 0 (a whole number from 1 to 256)`);
    const at = this.#reserve(8);
    this.#bytes[at + 2] = onlink ? RTNH_F_ONLINK : 0;
    this.#bytes[at + 3] = weight - 1;
    if (hop.dev !== undefined) {
      this.devAt.push(at + 4);
      this.devSlots.push(ctx.devSlot(hop.dev));
      this.devRecords.push(record);
    }
    if (gateway) this.#attr(RTA_GATEWAY, gateway.bytes);
    if (via) this.#via(via);
    this.#view.setUint16(at, this.#length - at, LITTLE);
  }

  #via(via: Address): void {
    const at = this.#begin(RTA_VIA);
    const body = this.#reserve(2);
    this.#view.setUint16(body, familyNumber(via.family), LITTLE);
    this.#raw(via.bytes);
    this.#end(at);
  }

  #metrics(metrics: NonNullable<RouteSpec['metrics']>): void {
    if (typeof metrics !== 'object' || metrics === null)
      throw new InvalidInputError('invalid metrics: expected an object');
    const at = this.#begin(RTA_METRICS);
    for (const [name, value] of Object.entries(metrics)) {
      if (name === 'lock') {
        this.#u32Attr(RTAX_LOCK, this.#lockMask(value));
      } else if (name === 'congestion') {
        if (typeof value !== 'string' || !/^[\w-]{1,15}$/.test(value)) {
          throw new InvalidInputError(`invalid congestion: ${JSON.stringify(value)}`);
        }
        this.#attr(RTAX_CC_ALGO, new TextEncoder().encode(`${value}\0`));
      } else {
        const type = METRIC_TYPES.get(name);
        if (type === undefined) throw new InvalidInputError(`invalid metrics: unknown metric ${JSON.stringify(name)}`);
        // As ip: rtt and rttvar in milliseconds, which the kernel keeps in 1/8 and 1/4 ms.
        const scale = type === RTAX_RTT ? 8 : type === RTAX_RTTVAR ? 4 : 1;
        this.#u32Attr(type, checkUint(value, name, Math.floor(0xffffffff / scale)) * scale);
      }
    }
    this.#end(at);
  }

  /** lock: the mask of locked metrics (1 << RTAX_*, as Route.metrics.lock has it), or their names. */
  #lockMask(value: unknown): number {
    if (!Array.isArray(value)) return checkUint(value, 'lock');
    let mask = 0;
    for (const name of value) {
      const type = typeof name === 'string' ? METRIC_TYPES.get(name) : undefined;
      if (type === undefined || type >= 32) throw new InvalidInputError(`invalid lock: ${JSON.stringify(name)}`);
      mask |= 1 << type;
    }
    return mask >>> 0;
  }

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#bytes.length) {
      const bytes = new Uint8Array(Math.max(256, 2 * (at + n)));
      bytes.set(this.#bytes.subarray(0, at));
      this.#bytes = bytes;
      this.#view = new DataView(bytes.buffer);
    }
    this.#bytes.fill(0, at, at + n);
    this.#length = at + n;
    return at;
  }

  #raw(data: Uint8Array): void {
    this.#bytes.set(data, this.#reserve(data.length));
  }

  #begin(type: number): number {
    const at = this.#reserve(4);
    this.#view.setUint16(at + 2, type, LITTLE);
    return at;
  }

  /** Sets the attribute's length and pads it to 4 bytes. */
  #end(at: number): void {
    this.#view.setUint16(at, this.#length - at, LITTLE);
    this.#reserve((4 - (this.#length % 4)) % 4);
  }

  #attr(type: number, data: Uint8Array): void {
    const at = this.#begin(type);
    this.#raw(data);
    this.#end(at);
  }

  #u32Attr(type: number, value: number): void {
    const at = this.#begin(type);
    this.#view.setUint32(this.#reserve(4), value, LITTLE);
    this.#end(at);
  }
}
