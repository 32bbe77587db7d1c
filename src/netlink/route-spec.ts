// Turns a user's RouteSpec into the kernel's numbers, validating every field and filling in the defaults
// that iproute2 uses, so that `addRoute(x)` means what `ip route add x` means. ChangeEncoder is the one place
// that does it: every change, one or a million, is validated and written into a change record there.
import { parseAddress, parsePrefix, type Address } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import { protocols, routeTypes, scopes, tables } from './constants.js';
import { hasTail, onlinkOf, TailWriter, viaOf, type TailContext } from './route-tail.js';
import type { Change, ChangeOp, RouteSpec, Table } from './types.js';
import {
  AT,
  familyNumber,
  HAS_METRIC,
  HAS_OIF,
  HAS_ONLINK,
  HAS_PREFSRC,
  HAS_TAIL,
  OP_CODES,
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

/** iproute2's choice: host for local routes, link for on-link unicast and broadcast-like ones, else global. */
function defaultScope(type: string, hasGateway: boolean): number {
  if (type === 'local' || type === 'nat') return scopes.numbers.host;
  if (type === 'broadcast' || type === 'multicast' || type === 'anycast') return scopes.numbers.link;
  if (type === 'unicast' && !hasGateway) return scopes.numbers.link;
  return scopes.numbers.global;
}

// ---- many changes at once ------------------------------------------------------------------------------

/**
 * An IPv4 prefix in the plain form ('a.b.c.d/n' or a bare 'a.b.c.d', octets as node:net's isIPv4 accepts
 * them, host bits clear): its length, with the address in v4Value; -1 for anything else, which then goes
 * through parsePrefix (that accepts or rejects it with the usual message). The hot path of bulk changes.
 */
let v4Value = 0;
function parseV4Prefix(text: string): number {
  const n = text.length;
  let i = 0;
  let value = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(i) !== 46) return -1; // '.'
      i++;
    }
    let c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    let octet = c;
    i++;
    if (octet !== 0) {
      for (let k = 0; k < 2; k++) {
        c = text.charCodeAt(i) - 48;
        if (!(c >= 0 && c <= 9)) break;
        octet = octet * 10 + c;
        i++;
      }
      if (octet > 255) return -1;
    }
    value = value * 256 + octet;
  }
  let length = 32;
  if (i < n) {
    if (text.charCodeAt(i) !== 47 || n - i - 1 < 1 || n - i - 1 > 3) return -1; // '/' and 1-3 digits
    length = 0;
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (!(c >= 0 && c <= 9)) return -1;
      length = length * 10 + c;
    }
    if (length > 32) return -1;
  }
  if (length < 32 && value % 2 ** (32 - length) !== 0) return -1; // host bits set
  v4Value = value;
  return length;
}

const MAX_REMEMBERED = 4096;

/**
 * Validates and encodes changes into change records, cheaply: plain IPv4 destinations are parsed by hand,
 * and what repeats across a batch (gateways, source addresses, devices, protocols) is validated once. Device names are collected for the caller to resolve: a record's
 * oif is filled in later (setOif) from its device slot.
 */
export class ChangeEncoder implements TailContext {
  readonly #addresses = new Map<string, Address>();
  readonly #protocols = new Map<string | number, number>();
  readonly #devSlots = new Map<string, number>();
  /** Device names by slot. */
  readonly devNames: string[] = [];

  /** Records for changes[start, end), each one's device slot (-1: none), and their tails. Throws on invalid input. */
  encode(
    changes: readonly Change[],
    start = 0,
    end = changes.length,
  ): { records: RecordBuffer; devs: Int32Array; tails: TailWriter } {
    const records = new RecordBuffer(end - start);
    const devs = new Int32Array(end - start);
    const tails = new TailWriter();
    for (let i = start; i < end; i++) {
      const change = changes[i];
      const op = change?.op;
      if (op !== 'add' && op !== 'replace' && op !== 'delete') {
        throw new InvalidInputError(`invalid change: op must be add, replace or delete`);
      }
      devs[i - start] = this.#encodeOne(records, tails, i - start, op, change.route);
    }
    return { records, devs, tails };
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

  #encodeOne(buf: RecordBuffer, tails: TailWriter, i: number, op: ChangeOp, spec: RouteSpec): number {
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
    let dstLength = typeof dstText === 'string' ? parseV4Prefix(dstText) : -1;
    if (dstLength >= 0) {
      bytes[at + AT.dst] = v4Value >>> 24;
      bytes[at + AT.dst + 1] = (v4Value >>> 16) & 255;
      bytes[at + AT.dst + 2] = (v4Value >>> 8) & 255;
      bytes[at + AT.dst + 3] = v4Value & 255;
    } else {
      const dst = parsePrefix(dstText, 'destination');
      dstFamily = dst.family;
      dstLength = dst.length;
      bytes.set(dst.bytes, at + AT.dst);
    }
    let gateway = spec.gateway === undefined ? undefined : this.address(spec.gateway, 'gateway');
    if (spec.via !== undefined) {
      if (gateway) throw new InvalidInputError('invalid route: a gateway and a via');
      gateway = viaOf(spec.via, dstFamily, this);
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
    const tail = hasTail(spec);
    if (tail) tails.write(i, spec, dstFamily, this);
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
      (tail ? HAS_TAIL : 0);
    const w = at >> 2;
    u32[w + U32_AT.table] = table;
    u32[w + U32_AT.metric] = metric ?? 0;
    if (gateway) bytes.set(gateway.bytes, at + AT.gateway);
    if (prefsrc) bytes.set(prefsrc.bytes, at + AT.prefsrc);
    return dev;
  }
}

/** Fills in the output interface of record i. */
export function setOif(buf: RecordBuffer, i: number, oif: number): void {
  buf.u32[((i * RECORD_SIZE) >> 2) + U32_AT.oif] = oif;
}
