// Turns a user's RouteSpec into the kernel's numbers, validating every field and filling in the defaults
// that iproute2 uses, so that `addRoute(x)` means what `ip route add x` means. ChangeEncoder is the one place
// that does it: every change, one or a million, is validated and written into a change record there, and the
// rare fields (next hops, metrics, nhid) into an object in Route's field names that the addon encodes.
import { parseAddress, parsePrefix, parseV4PrefixInto, type Address, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import { protocols, routeTypes, scopes, tables } from './constants.js';
import { addon, type NativeNexthop, type NativeRareFields } from './native.js';
import type { Change, ChangeOp, RouteSpec, RouteSpecNexthop, RouteVia, Table } from './types.js';
import {
  AT,
  familyNumber,
  HAS_METRIC,
  HAS_OIF,
  HAS_ONLINK,
  HAS_PREFSRC,
  HAS_RARE_FIELDS,
  OP_CODES,
  RareFieldsList,
  RECORD_SIZE,
  RecordBuffer,
  U32_AT,
} from './wire.js';

const RT_SCOPE_NOWHERE = 255;
const GATEWAYLESS_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

export function tableNumber(table: Table | undefined): number {
  if (table === undefined) return tables.numbers.main;
  const n = tables.number(table);
  if (n === undefined || n === 0) {
    throw new InvalidInputError(`invalid table: ${JSON.stringify(table)} (main, local, default or a number)`);
  }
  return checkUint(n, 'table');
}

export function protocolNumber(protocol: string | number): number {
  return lookup(protocols, protocol, 'protocol');
}

export function scopeNumber(scope: string | number): number {
  return lookup(scopes, scope, 'scope');
}

function lookup(
  names: { number(name: string | number): number | undefined },
  value: string | number,
  what: string,
  max = 255,
): number {
  const n = names.number(value);
  if (n === undefined) throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(value)}`);
  return checkUint(n, what, max);
}

/** The names of the fields a spec may have; anything else is a mistake worth reporting. */
const FIELDS = new Set([
  'dst',
  'gateway',
  'dev',
  'metric',
  'table',
  'protocol',
  'scope',
  'type',
  'prefsrc',
  'nexthops',
  'metrics',
  'flags',
  'via',
  'nhid',
]);
const NEXTHOP_FIELDS = new Set(['gateway', 'via', 'dev', 'weight', 'flags']);
/** As many as an RTA_MULTIPATH's 16-bit length holds with room to spare (native/route_codec.h kMaxRouteNexthops). */
const MAX_NEXTHOPS = 1024;
const RTAX_LOCK = 1;

interface MetricTable {
  /** The metrics a spec may set, lock aside, by name; their number, for the lock mask. */
  types: Map<string, number>;
  /** What the kernel keeps per unit of the value ip takes (rtt in 1/8 ms, rttvar in 1/4 ms), by number. */
  scales: number[];
  /** metricOrder()'s. */
  order: [number, string][];
}
let loadedMetricTable: MetricTable | undefined;

/** iproute2's names of the RTAX_* metrics, from the addon's one table of them (native/route_codec.cc), on first use. */
function metricTable(): MetricTable {
  if (loadedMetricTable) return loadedMetricTable;
  const table: MetricTable = { types: new Map(), scales: [], order: [] };
  addon.routeMetrics().forEach((metric, type) => {
    if (!metric || type === RTAX_LOCK) return;
    table.types.set(metric.name, type);
    table.scales[type] = metric.scale;
    table.order.push([type, metric.name === 'congestion' ? 'congctl' : metric.name]);
  });
  return (loadedMetricTable = table);
}

/** The metrics in the order ip prints them, with the words of its text (RTAX_CC_ALGO is "congctl" there). */
export function metricOrder(): readonly [number, string][] {
  return metricTable().order;
}

/** iproute2's choice: host for local routes, link for on-link unicast and broadcast-like ones, else global. */
function defaultScope(type: string, hasGateway: boolean): number {
  if (type === 'local' || type === 'nat') return scopes.numbers.host;
  if (type === 'broadcast' || type === 'multicast' || type === 'anycast') return scopes.numbers.link;
  if (type === 'unicast' && !hasGateway) return scopes.numbers.link;
  return scopes.numbers.global;
}

// ---- many changes at once ------------------------------------------------------------------------------

const MAX_REMEMBERED = 4096;

/**
 * Validates and encodes changes into change records, cheaply: plain IPv4 destinations are parsed without allocating,
 * and what repeats across a batch (gateways, source addresses, devices, protocols) is validated once. Device names are collected for the caller to resolve: a record's
 * oif is filled in later (setOif) from its device slot.
 */
export class ChangeEncoder {
  readonly #addresses = new Map<string, Address>();
  readonly #protocols = new Map<string | number, number>();
  readonly #devSlots = new Map<string, number>();
  /** Device names by slot. */
  readonly devNames: string[] = [];

  /** Records for changes[start, end), each one's device slot (-1: none), and their rare fields. Throws on invalid input. */
  encode(
    changes: readonly Change[],
    start = 0,
    end = changes.length,
  ): { records: RecordBuffer; devs: Int32Array; rare: RareFieldsList } {
    const records = new RecordBuffer(end - start);
    const devs = new Int32Array(end - start);
    const rare = new RareFieldsList();
    for (let i = start; i < end; i++) {
      const change = changes[i];
      const op = change?.op;
      if (op !== 'add' && op !== 'replace' && op !== 'delete') {
        throw new InvalidInputError(`invalid change: op must be add, replace or delete`);
      }
      devs[i - start] = this.#encodeOne(records, rare, i - start, op, change.route);
    }
    return { records, devs, rare };
  }

  address(text: string, what: string): Address {
    const known = typeof text === 'string' ? this.#addresses.get(text) : undefined;
    if (known) return known;
    const address = parseAddress(text, what);
    if (this.#addresses.size < MAX_REMEMBERED) this.#addresses.set(text, address);
    return address;
  }

  #protocol(value: string | number): number {
    const known = this.#protocols.get(value);
    if (known !== undefined) return known;
    const n = protocolNumber(value);
    if (this.#protocols.size < MAX_REMEMBERED) this.#protocols.set(value, n);
    return n;
  }

  devSlot(name: string): number {
    const known = this.#devSlots.get(name);
    if (known !== undefined) return known;
    checkInterfaceName(name);
    const slot = this.devNames.push(name) - 1;
    this.#devSlots.set(name, slot);
    return slot;
  }

  #encodeOne(buf: RecordBuffer, rare: RareFieldsList, i: number, op: ChangeOp, spec: RouteSpec): number {
    if (typeof spec !== 'object' || spec === null) throw new InvalidInputError('invalid route: expected an object');
    for (const key in spec) {
      if (!FIELDS.has(key) && Object.hasOwn(spec, key)) {
        throw new InvalidInputError(`invalid route: unknown field ${JSON.stringify(key)}`);
      }
    }
    const { bytes, u32 } = buf;
    const at = i * RECORD_SIZE;
    const dstText = spec.dst;
    let dstFamily: 4 | 6 = 4;
    let dstLength = typeof dstText === 'string' ? parseV4PrefixInto(dstText, bytes, at + AT.dst) : -1;
    if (dstLength < 0) {
      const dst = parsePrefix(dstText, 'destination');
      dstFamily = dst.family;
      dstLength = dst.length;
      bytes.set(dst.bytes, at + AT.dst);
    }
    let gateway = spec.gateway === undefined ? undefined : this.address(spec.gateway, 'gateway');
    if (spec.via !== undefined) {
      if (gateway) throw new InvalidInputError('invalid route: a gateway and a via');
      gateway = this.#via(spec.via, dstFamily);
    }
    const prefsrc = spec.prefsrc === undefined ? undefined : this.address(spec.prefsrc, 'source address');
    if (prefsrc && prefsrc.family !== dstFamily) {
      throw new InvalidInputError(`invalid source address: ${prefsrc.text} is not of the destination's family`);
    }
    const typeName = spec.type ?? (op === 'delete' ? undefined : 'unicast');
    const type = typeName === undefined ? 0 : typeName === 'unicast' ? 1 : lookup(routeTypes, typeName, 'route type');
    if (typeName && GATEWAYLESS_TYPES.has(typeName) && (gateway || spec.dev !== undefined)) {
      throw new InvalidInputError(`invalid route: a ${typeName} route has no gateway or device`);
    }
    const dev = spec.dev === undefined ? -1 : this.devSlot(spec.dev);
    const onlink = spec.flags !== undefined && onlinkOf(spec.flags, 'flags');
    if (onlink && dev < 0) throw new InvalidInputError('invalid route: onlink needs a device');
    const hasRare = spec.nexthops !== undefined || spec.metrics !== undefined || spec.nhid !== undefined;
    if (hasRare) rare.add(i, this.#rareFields(i, spec, dstFamily, rare));
    const metric = spec.metric === undefined ? undefined : checkUint(spec.metric, 'metric');
    const table = spec.table === undefined ? tables.numbers.main : tableNumber(spec.table);
    const protocol =
      spec.protocol !== undefined ? this.#protocol(spec.protocol) : op === 'delete' ? 0 : protocols.numbers.boot;
    const scope =
      spec.scope !== undefined
        ? scopeNumber(spec.scope)
        : op === 'delete'
          ? RT_SCOPE_NOWHERE
          : defaultScope(
              typeName ?? 'unicast',
              gateway !== undefined || spec.nexthops !== undefined || spec.nhid !== undefined,
            );
    bytes[at] = OP_CODES[op];
    bytes[at + AT.family] = familyNumber(dstFamily);
    bytes[at + AT.dstLen] = dstLength;
    bytes[at + AT.gatewayFamily] = gateway ? familyNumber(gateway.family) : 0;
    bytes[at + AT.protocol] = protocol;
    bytes[at + AT.scope] = scope;
    bytes[at + AT.type] = type;
    bytes[at + AT.present] =
      (dev >= 0 ? HAS_OIF : 0) |
      (metric !== undefined ? HAS_METRIC : 0) |
      (prefsrc ? HAS_PREFSRC : 0) |
      (onlink ? HAS_ONLINK : 0) |
      (hasRare ? HAS_RARE_FIELDS : 0);
    const w = at >> 2;
    u32[w + U32_AT.table] = table;
    u32[w + U32_AT.metric] = metric ?? 0;
    if (gateway) bytes.set(gateway.bytes, at + AT.gateway);
    if (prefsrc) bytes.set(prefsrc.bytes, at + AT.prefsrc);
    return dev;
  }

  /** A gateway of the other family than the destination's (RTA_VIA). */
  #via(via: RouteVia, dstFamily: Family): Address {
    if (typeof via !== 'object' || via === null || (via.family !== 'inet' && via.family !== 'inet6')) {
      throw new InvalidInputError(`invalid via: expected { family: 'inet' | 'inet6', host }`);
    }
    const address = this.address(via.host, 'via');
    if (address.family !== (via.family === 'inet' ? 4 : 6)) {
      throw new InvalidInputError(`invalid via: ${address.text} is not an ${via.family} address`);
    }
    if (address.family === dstFamily) {
      throw new InvalidInputError(`invalid via: ${address.text} is of the destination's family (use gateway)`);
    }
    return address;
  }

  #rareFields(record: number, spec: RouteSpec, dstFamily: Family, rare: RareFieldsList): NativeRareFields {
    const fields: NativeRareFields = {};
    if (spec.nexthops !== undefined) fields.nexthops = this.#nexthops(record, spec, dstFamily, rare);
    if (spec.metrics !== undefined) fields.metrics = metricsOf(spec.metrics);
    if (spec.nhid !== undefined) {
      if (spec.gateway !== undefined || spec.via !== undefined || spec.dev !== undefined || spec.nexthops) {
        throw new InvalidInputError('invalid route: a route with nhid has no gateway, via, device or next hops');
      }
      fields.nhid = checkUint(spec.nhid, 'nhid');
    }
    return fields;
  }

  #nexthops(record: number, spec: RouteSpec, dstFamily: Family, rare: RareFieldsList): NativeNexthop[] {
    const hops = spec.nexthops;
    if (!Array.isArray(hops) || hops.length === 0) {
      throw new InvalidInputError('invalid next hops: expected a non-empty array');
    }
    if (hops.length > MAX_NEXTHOPS) throw new InvalidInputError(`invalid next hops: more than ${MAX_NEXTHOPS}`);
    if (spec.gateway !== undefined || spec.via !== undefined || spec.dev !== undefined) {
      throw new InvalidInputError('invalid route: a route with next hops has no gateway, via or device of its own');
    }
    return hops.map((hop) => {
      if (typeof hop !== 'object' || hop === null) throw new InvalidInputError('invalid next hop: expected an object');
      for (const key in hop) {
        if (!NEXTHOP_FIELDS.has(key) && Object.hasOwn(hop, key)) {
          throw new InvalidInputError(`invalid next hop: unknown field ${JSON.stringify(key)}`);
        }
      }
      const nexthop = this.#nexthop(hop, dstFamily);
      if (hop.dev !== undefined) rare.devHops.push({ hop: nexthop, slot: this.devSlot(hop.dev), record });
      return nexthop;
    });
  }

  #nexthop(hop: RouteSpecNexthop, dstFamily: Family): NativeNexthop {
    const gateway = hop.gateway === undefined ? undefined : this.address(hop.gateway, 'gateway');
    if (gateway && gateway.family !== dstFamily) {
      throw new InvalidInputError(`invalid next hop: ${gateway.text} is not of the destination's family (use via)`);
    }
    const via = hop.via === undefined ? undefined : this.#via(hop.via, dstFamily);
    if (gateway && via) throw new InvalidInputError('invalid next hop: a gateway and a via');
    if (!gateway && !via && hop.dev === undefined)
      throw new InvalidInputError('invalid next hop: no gateway or device');
    const onlink = onlinkOf(hop.flags, 'next hop flags');
    if (onlink && hop.dev === undefined) throw new InvalidInputError('invalid next hop: onlink needs a device');
    const weight = hop.weight === undefined ? 1 : checkUint(hop.weight, 'weight', 256);
    if (weight < 1) throw new InvalidInputError(`invalid weight: 0 (a whole number from 1 to 256)`);
    const nexthop: NativeNexthop = { weight };
    if (gateway) nexthop.gateway = gateway.bytes;
    if (via) nexthop.via = { family: familyNumber(via.family), host: via.bytes };
    if (hop.dev !== undefined) nexthop.dev = 0;
    if (onlink) nexthop.flags = ['onlink'];
    return nexthop;
  }
}

/** Only 'onlink' can be asked for; true if it is. */
function onlinkOf(flags: unknown, what: string): boolean {
  if (flags === undefined) return false;
  if (!Array.isArray(flags) || flags.some((f) => f !== 'onlink')) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(flags)} (only ['onlink'] can be set)`);
  }
  return flags.length > 0;
}

/** The metrics validated, by Route.metrics's names (lock as a mask); the addon turns them into RTAX_*. */
function metricsOf(metrics: NonNullable<RouteSpec['metrics']>): Record<string, number | string> {
  if (typeof metrics !== 'object' || metrics === null)
    throw new InvalidInputError('invalid metrics: expected an object');
  const out: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (name === 'lock') {
      out.lock = lockMask(value);
    } else if (name === 'congestion') {
      if (typeof value !== 'string' || !/^[\w-]{1,15}$/.test(value)) {
        throw new InvalidInputError(`invalid congestion: ${JSON.stringify(value)}`);
      }
      out.congestion = value;
    } else {
      const { types, scales } = metricTable();
      const type = types.get(name);
      if (type === undefined) throw new InvalidInputError(`invalid metrics: unknown metric ${JSON.stringify(name)}`);
      // As ip: rtt and rttvar in milliseconds, which the kernel keeps in 1/8 and 1/4 ms.
      out[name] = checkUint(value, name, Math.floor(0xffffffff / scales[type]));
    }
  }
  return out;
}

/** lock: the mask of locked metrics (1 << RTAX_*, as Route.metrics.lock has it), or their names. */
function lockMask(value: unknown): number {
  if (!Array.isArray(value)) return checkUint(value, 'lock');
  let mask = 0;
  for (const name of value) {
    const type = typeof name === 'string' ? metricTable().types.get(name) : undefined;
    if (type === undefined || type >= 32) throw new InvalidInputError(`invalid lock: ${JSON.stringify(name)}`);
    mask |= 1 << type;
  }
  return mask >>> 0;
}

/** Fills in the output interface of record i. */
export function setOif(buf: RecordBuffer, i: number, oif: number): void {
  buf.u32[((i * RECORD_SIZE) >> 2) + U32_AT.oif] = oif;
}
