// Links as the API shows them, from the addon's form, and a link's index by name for the other objects' requests.
import { NetlinkError } from '../errors.js';
import { IFF_LOWER_UP, IFF_UP, operStates } from './constants.js';
import type { NativeHandle, NativeLink } from './native.js';
import { fromNative } from './native-error.js';
import type { Link } from './types.js';

export function toLink(l: NativeLink): Link {
  return {
    index: l.index,
    name: l.name,
    up: (l.flags & IFF_UP) !== 0,
    lowerUp: (l.flags & IFF_LOWER_UP) !== 0,
    operstate: operStates[l.operstate] ?? String(l.operstate),
    mtu: l.mtu,
  };
}

const ENODEV = 19;

export function noSuchDevice(dev: string, operation: string, subject: string, route?: object): NetlinkError {
  return new NetlinkError({ errno: ENODEV, operation, subject, route, reason: `no such device: ${dev}` });
}

/** The interface's index (a targeted lookup, whatever the number of links), or a no-such-device error. */
export function linkIndex(handle: NativeHandle, dev: string, operation: string, subject: string): number {
  let index;
  try {
    [index] = handle.linkIndexes([dev]);
  } catch (e) {
    throw fromNative(e, operation);
  }
  if (!index) throw noSuchDevice(dev, operation, subject);
  return index;
}
