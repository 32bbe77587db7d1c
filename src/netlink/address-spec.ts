// Turns a user's AddressSpec into the kernel's numbers, validating every field and choosing what `ip addr add`
// chooses (IFA_LOCAL and IFA_ADDRESS both the address unless there is a peer; scope host for 127/8).
import { parseAddress, type Address as Ip } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import { scopes } from './constants.js';
import type { AddressSpec } from './address-types.js';
import type { NativeAddress } from './native.js';
import { familyNumber } from './wire.js';

export const IFA_F_NODAD = 0x02;
export const IFA_F_NOPREFIXROUTE = 0x200;

const FIELDS = new Set(['dev', 'address', 'peer', 'broadcast', 'label', 'scope', 'nodad', 'noprefixroute']);

/** An address with an optional length; host bits are allowed (they are the point of an interface address). */
function addressWithLength(text: unknown, what: string): { ip: Ip; length?: number } {
  if (typeof text !== 'string') throw new InvalidInputError(`invalid ${what}: expected a string`);
  const slash = text.indexOf('/');
  const ip = parseAddress(slash < 0 ? text : text.slice(0, slash), what);
  if (slash < 0) return { ip };
  const max = ip.family === 4 ? 32 : 128;
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(text)} (prefix length must be 0 to ${max})`);
  }
  return { ip, length: Number(lengthText) };
}

function subnetBroadcast(ip: Ip, length: number): Uint8Array {
  const out = Uint8Array.from(ip.bytes);
  for (let bit = length; bit < 32; bit++) out[bit >> 3] |= 0x80 >> (bit & 7);
  return out;
}

function flag(value: unknown, name: string, bit: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'boolean') throw new InvalidInputError(`invalid address: ${name} is true or false`);
  return value ? bit : 0;
}

/** The address in the addon's form (its index still 0: the caller resolves dev); throws InvalidInputError. */
export function nativeAddressSpec(spec: AddressSpec, add: boolean): NativeAddress<Uint8Array> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidInputError('invalid address: expected an object');
  for (const key in spec) {
    if (!FIELDS.has(key) && Object.hasOwn(spec, key)) {
      throw new InvalidInputError(`invalid address: unknown field ${JSON.stringify(key)}`);
    }
  }
  checkInterfaceName(spec.dev);
  const local = addressWithLength(spec.address, 'address');
  const family = local.ip.family;
  const max = family === 4 ? 32 : 128;
  const peer = spec.peer === undefined ? undefined : addressWithLength(spec.peer, 'peer');
  if (peer && peer.ip.family !== family) throw new InvalidInputError('invalid peer: not of the address family');
  const prefixLen = peer?.length ?? local.length ?? max;
  let broadcast: Uint8Array | undefined;
  if (spec.broadcast !== undefined) {
    if (family !== 4) throw new InvalidInputError('invalid address: broadcast is IPv4 only');
    broadcast =
      spec.broadcast === '+' ? subnetBroadcast(local.ip, prefixLen) : parseAddress(spec.broadcast, 'broadcast').bytes;
    if (spec.broadcast !== '+' && parseAddress(spec.broadcast).family !== 4) {
      throw new InvalidInputError('invalid broadcast: not an IPv4 address');
    }
  }
  if (spec.label !== undefined) {
    if (family !== 4) throw new InvalidInputError('invalid address: a label is IPv4 only');
    if (typeof spec.label !== 'string' || !spec.label.startsWith(spec.dev) || Buffer.byteLength(spec.label) > 15) {
      throw new InvalidInputError(
        `invalid label: ${JSON.stringify(spec.label)} (the device's name, then up to 15 bytes)`,
      );
    }
  }
  if (spec.nodad !== undefined && family !== 6) throw new InvalidInputError('invalid address: nodad is IPv6 only');
  let scope = family === 4 && local.ip.bytes[0] === 127 ? scopes.numbers.host : scopes.numbers.global;
  if (spec.scope !== undefined) {
    const n = scopes.number(spec.scope);
    if (n === undefined) throw new InvalidInputError(`invalid scope: ${JSON.stringify(spec.scope)}`);
    scope = checkUint(n, 'scope', 255);
  }
  const out: NativeAddress<Uint8Array> = {
    family: familyNumber(family),
    prefixLen,
    scope: add ? scope : 0,
    flags: flag(spec.nodad, 'nodad', IFA_F_NODAD) | flag(spec.noprefixroute, 'noprefixroute', IFA_F_NOPREFIXROUTE),
    index: 0,
    local: local.ip.bytes,
    address: peer?.ip.bytes ?? local.ip.bytes,
  };
  if (broadcast) out.broadcast = broadcast;
  if (spec.label !== undefined) out.label = spec.label;
  return out;
}
