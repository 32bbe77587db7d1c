// The byte layouts shared with native/route_codec.h: change records out, packed routes in.
import { endianness } from 'node:os';
import type { Address, Family, Prefix } from '../address.js';
import { AF_INET6, protocols, routeTypes, scopes, tables } from './constants.js';
import type { NativeLink, PackedRoutes } from './native.js';
import type { ChangeOp, Route, Table } from './types.js';

/** A route with every name resolved to the kernel's numbers, ready to encode. */
export interface WireRoute {
  dst: Prefix;
  gateway?: Address;
  oif?: number;
  metric?: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  prefsrc?: Address;
}

const RECORD_SIZE = 68;
const OP_CODES: Record<ChangeOp, number> = { add: 0, replace: 1, delete: 2 };
const HAS_OIF = 1;
const HAS_METRIC = 2;
const HAS_PREFSRC = 4;
const littleEndian = endianness() === 'LE';

export function familyNumber(family: Family): number {
  return family === 4 ? 2 : AF_INET6;
}

export function encodeChanges(changes: { op: ChangeOp; route: WireRoute }[]): Uint8Array {
  const bytes = new Uint8Array(changes.length * RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  changes.forEach(({ op, route }, i) => {
    const at = i * RECORD_SIZE;
    bytes[at] = OP_CODES[op];
    bytes[at + 1] = familyNumber(route.dst.family);
    bytes[at + 2] = route.dst.length;
    bytes[at + 3] = route.gateway ? familyNumber(route.gateway.family) : 0;
    bytes[at + 4] = route.protocol;
    bytes[at + 5] = route.scope;
    bytes[at + 6] = route.type;
    bytes[at + 7] =
      (route.oif !== undefined ? HAS_OIF : 0) |
      (route.metric !== undefined ? HAS_METRIC : 0) |
      (route.prefsrc ? HAS_PREFSRC : 0);
    view.setUint32(at + 8, route.table, littleEndian);
    view.setUint32(at + 12, route.metric ?? 0, littleEndian);
    view.setUint32(at + 16, route.oif ?? 0, littleEndian);
    bytes.set(route.dst.bytes, at + 20);
    if (route.gateway) bytes.set(route.gateway.bytes, at + 36);
    if (route.prefsrc) bytes.set(route.prefsrc.bytes, at + 52);
  });
  return bytes;
}

// Layout of one decoded route: see namespace packed in native/route_codec.h.
const WORDS = 14;
const [FAMILY, TABLE, PROTOCOL, SCOPE, TYPE, PRESENT, METRIC, OIF, DST, GATEWAY, PREFSRC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12];
const HAS = { gateway: 1, metric: 2, oif: 4, prefsrc: 8 };

export function tableOf(id: number): Table {
  const name = tables.name(id);
  return name === 'main' || name === 'local' || name === 'default' ? name : id;
}

export function* decodeRoutes(packed: PackedRoutes): Generator<Route> {
  const { words, text } = packed;
  const devs = linkNames(packed.links);
  // Gateways and source addresses are interned by the addon: the same range means the same text.
  const interned = new Map<number, string>();
  const slice = (at: number) => text.toString('latin1', words[at], words[at + 1]);
  const internedSlice = (at: number) => {
    let s = interned.get(words[at]);
    if (s === undefined) interned.set(words[at], (s = slice(at)));
    return s;
  };
  for (let at = 0; at < words.length; at += WORDS) {
    const present = words[at + PRESENT];
    yield {
      family: words[at + FAMILY] === AF_INET6 ? 6 : 4,
      table: tableOf(words[at + TABLE]),
      dst: slice(at + DST),
      gateway: present & HAS.gateway ? internedSlice(at + GATEWAY) : undefined,
      dev: present & HAS.oif ? (devs.get(words[at + OIF]) ?? `if${words[at + OIF]}`) : undefined,
      metric: present & HAS.metric ? words[at + METRIC] : undefined,
      protocol: protocols.name(words[at + PROTOCOL]),
      scope: scopes.name(words[at + SCOPE]),
      type: routeTypes.name(words[at + TYPE]),
      prefsrc: present & HAS.prefsrc ? internedSlice(at + PREFSRC) : undefined,
    };
  }
}

export function linkNames(links: NativeLink[]): Map<number, string> {
  return new Map(links.map((l) => [l.index, l.name]));
}
