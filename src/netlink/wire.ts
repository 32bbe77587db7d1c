// The byte layouts shared with native/route_codec.h: change records out, packed routes in.
import type { Family } from '../address.js';
import { AF_INET6, protocols, routeTypes, scopes, tables } from './constants.js';
import type { NativeNexthop, NativeRareFields, RouteBatch } from './native.js';
import type { ChangeOp, Route, RouteNexthop, Table } from './types.js';

// ---- change records (namespace record) -----------------------------------------------------------------

export const RECORD_SIZE = 68;
export const OP_CODES: Record<ChangeOp, number> = { add: 0, replace: 1, delete: 2 };
export const HAS_OIF = 1;
export const HAS_METRIC = 2;
export const HAS_PREFSRC = 4;
export const HAS_ONLINK = 8;
/** The record has rare fields: the next of the batch's NativeRareFields. */
export const HAS_RARE_FIELDS = 16;
/** Byte offsets in a record; the u32 fields are in host byte order, addresses in network order. */
export const AT = {
  op: 0,
  family: 1,
  dstLen: 2,
  gatewayFamily: 3,
  protocol: 4,
  scope: 5,
  type: 6,
  present: 7,
  table: 8,
  metric: 12,
  oif: 16,
  dst: 20,
  gateway: 36,
  prefsrc: 52,
};
/** The u32 fields' indexes in a record's u32 view (a record is a whole number of words). */
export const U32_AT = { table: AT.table >> 2, metric: AT.metric >> 2, oif: AT.oif >> 2 };

export function familyNumber(family: Family): number {
  return family === 4 ? 2 : AF_INET6;
}

/** Records for many changes at once: bytes, and a host-order u32 view of the same memory. */
export class RecordBuffer {
  readonly bytes: Uint8Array;
  readonly u32: Uint32Array;
  constructor(readonly count: number) {
    this.bytes = new Uint8Array(count * RECORD_SIZE);
    this.u32 = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, (count * RECORD_SIZE) >> 2);
  }
}

/**
 * The rare fields of a batch's records that have HAS_RARE_FIELDS, in record order, and their next hops'
 * devices, to fill in once they are resolved.
 */
export class RareFieldsList {
  readonly fields: NativeRareFields[] = [];
  /** The record of each entry of fields. */
  readonly #records: number[] = [];
  #taken = 0;
  /** Each next hop with a device: the hop, its device slot and its record. */
  readonly devHops: { hop: NativeNexthop; slot: number; record: number }[] = [];

  add(record: number, fields: NativeRareFields): void {
    this.#records.push(record);
    this.fields.push(fields);
  }

  /** The rare fields of records [previous end, end): for the records' chunks, in order. */
  take(end: number): NativeRareFields[] {
    const from = this.#taken;
    let k = from;
    while (k < this.#records.length && this.#records[k] < end) k++;
    this.#taken = k;
    return this.fields.slice(from, k);
  }
}

// ---- decoded routes (namespace packed) -------------------------------------------------------------------

/**
 * A route's extras as native/route_extras.cc writes them: Route's own fields, but for a next hop's device, which is
 * an interned string id.
 */
type RouteExtras = Omit<Partial<Route>, 'nexthops'> & {
  nexthops?: (Omit<RouteNexthop, 'dev'> & { dev: number | string })[];
};

const WORDS = 8;
const [META, TABLE, METRIC, FLAGS, DEV, GATEWAY, PREFSRC, DST_END] = [0, 1, 2, 3, 4, 5, 6, 7];
const HAS_METRIC_WORD = 1;
const HAS_EXTRAS_WORD = 2;
const HAS_PREF_WORD = 1 << 16;
const PREF_NAMES: Record<number, string> = { 0: 'medium', 1: 'high', 3: 'low' };

export function tableOf(id: number): Table {
  const name = tables.name(id);
  return name === 'main' || name === 'local' || name === 'default' ? name : id;
}

// Every byte-sized number's name, so that decoding a route is array reads.
const TABLE_NAMES: Table[] = Array.from({ length: 256 }, (_, i) => tableOf(i));
const PROTOCOL_NAMES: string[] = Array.from({ length: 256 }, (_, i) => protocols.name(i));
const SCOPE_NAMES: string[] = Array.from({ length: 256 }, (_, i) => scopes.name(i));
const TYPE_NAMES: string[] = Array.from({ length: 256 }, (_, i) => routeTypes.name(i));

/**
 * Turns the batches of one dump into Route objects. All plain routes get one object shape (absent fields are
 * undefined, which JSON and structural comparisons treat as missing), and only those with extras (next hops,
 * metrics, ...: RouteExtras) get more; destinations are slices of the
 * batch's text, and repeated strings (gateways, devices, source addresses) are one string each.
 */
export class RouteDecoder {
  // Interned strings by id; id 0 is "none".
  readonly #strings: (string | undefined)[] = [undefined];

  decode(batch: RouteBatch, out: Route[] = []): Route[] {
    const strings = this.#strings;
    for (const s of batch.strings) strings.push(s);
    const { words, text } = batch;
    const extras: RouteExtras[] = batch.extras ? JSON.parse(`[${batch.extras}]`) : [];
    let extra = 0;
    let start = 0;
    for (let at = 0; at < words.length; at += WORDS) {
      const meta = words[at + META];
      const table = words[at + TABLE];
      const end = words[at + DST_END];
      const flags = words[at + FLAGS];
      const route: Route = {
        family: (meta & 0xff) === AF_INET6 ? 6 : 4,
        table: table < 256 ? TABLE_NAMES[table] : table,
        dst: text.slice(start, end),
        gateway: strings[words[at + GATEWAY]],
        dev: strings[words[at + DEV]],
        metric: flags & HAS_METRIC_WORD ? words[at + METRIC] : undefined,
        protocol: PROTOCOL_NAMES[(meta >>> 16) & 0xff],
        scope: SCOPE_NAMES[(meta >>> 8) & 0xff],
        type: TYPE_NAMES[meta >>> 24],
        prefsrc: strings[words[at + PREFSRC]],
        pref: flags & HAS_PREF_WORD ? (PREF_NAMES[(flags >>> 8) & 0xff] ?? String((flags >>> 8) & 0xff)) : undefined,
      };
      if (flags & HAS_EXTRAS_WORD) {
        const more = extras[extra++] ?? {};
        for (const hop of more.nexthops ?? []) hop.dev = strings[hop.dev as number] ?? '';
        Object.assign(route, more);
      }
      out.push(route);
      start = end;
    }
    return out;
  }
}

export function decodeRoutes(batch: RouteBatch): Route[] {
  return new RouteDecoder().decode(batch);
}
