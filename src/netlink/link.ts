// Links as the API shows them, from the addon's form.
import { IFF_LOWER_UP, IFF_UP, operStates } from './constants.js';
import type { NativeLink } from './native.js';
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
