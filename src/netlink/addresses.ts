// The address operations of a RouteSocket (it delegates to these): RTM_GETADDR dumps into Address objects,
// and RTM_NEWADDR / RTM_DELADDR from validated specs.
import { InvalidInputError, NetlinkError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import { nativeAddressSpec } from './address-spec.js';
import type { Address, AddressSpec, ListAddressesOptions } from './address-types.js';
import { AF_INET6, scopes } from './constants.js';
import { linkIndex } from './link.js';
import type { NativeAddress, NativeError, NativeHandle } from './native.js';
import { familyNumber } from './wire.js';

const FOREVER = 0xffffffff;
/** IFA_F_* bits and their names in linux/if_addr.h. */
const FLAG_NAMES: [number, string][] = [
  [0x01, 'secondary'],
  [0x02, 'nodad'],
  [0x04, 'optimistic'],
  [0x08, 'dadfailed'],
  [0x10, 'homeaddress'],
  [0x20, 'deprecated'],
  [0x40, 'tentative'],
  [0x80, 'permanent'],
  [0x100, 'mngtmpaddr'],
  [0x200, 'noprefixroute'],
  [0x400, 'autojoin'],
  [0x800, 'stable-privacy'],
];

function netlinkError(e: unknown, operation: string, spec?: AddressSpec): unknown {
  const err = e as NativeError;
  if (typeof err?.errno !== 'number') return e;
  const subject = spec === undefined ? undefined : `${spec.address} dev ${spec.dev}`;
  return new NetlinkError({ errno: err.errno, operation, subject, route: spec, extack: err.extack });
}

export function toAddress(n: NativeAddress, dev: string): Address {
  const address: Address = {
    family: n.family === AF_INET6 ? 6 : 4,
    dev,
    index: n.index,
    local: n.local!,
    prefixlen: n.prefixLen,
    scope: scopes.name(n.scope),
    flags: FLAG_NAMES.filter(([bit]) => n.flags & bit).map(([, name]) => name),
    validLifetime: n.valid ?? FOREVER,
    preferredLifetime: n.preferred ?? FOREVER,
  };
  if (n.label !== undefined) address.label = n.label;
  if (n.address !== undefined && n.address !== n.local) address.address = n.address;
  if (n.broadcast !== undefined) address.broadcast = n.broadcast;
  return address;
}

export function listAddresses(handle: NativeHandle, options: ListAddressesOptions = {}): Address[] {
  const { family, dev } = options;
  if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
  if (dev !== undefined) checkInterfaceName(dev);
  try {
    const names = new Map(handle.listLinks().map((l) => [l.index, l.name]));
    return handle
      .listAddresses(family === undefined ? 0 : familyNumber(family))
      .map((n) => toAddress(n, names.get(n.index) ?? `if${n.index}`))
      .filter((a) => dev === undefined || a.dev === dev);
  } catch (e) {
    throw netlinkError(e, 'listAddresses');
  }
}

/**
 * Validates the change at once (InvalidInputError: nothing is sent) and returns the request, for the socket's
 * queue to make.
 */
export function addressChange(spec: AddressSpec, add: boolean): (handle: NativeHandle) => void {
  const native = nativeAddressSpec(spec, add);
  const operation = add ? 'addAddress' : 'deleteAddress';
  return (handle) => {
    native.index = linkIndex(handle, spec.dev, operation, `${spec.address} dev ${spec.dev}`);
    try {
      handle.changeAddress(add, native);
    } catch (e) {
      throw netlinkError(e, operation, spec);
    }
  };
}
