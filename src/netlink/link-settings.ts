// setLink's input (`ip link set DEV up|down mtu N`), validated before anything is sent.
import { InvalidInputError } from '../errors.js';
import { checkUint } from '../names.js';

export interface LinkSettings {
  /** Bring the link up (true) or down (false); unchanged when omitted. */
  up?: boolean;
  /** The MTU in bytes; unchanged when omitted. The device decides what it accepts (EINVAL otherwise). */
  mtu?: number;
}

/** The addon's arguments: up as -1 (unchanged), 0 or 1; mtu 0 for unchanged. */
export function nativeLinkSettings(settings: LinkSettings): { up: number; mtu: number } {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidInputError('invalid link settings: expected an object');
  }
  for (const key of Object.keys(settings)) {
    if (key !== 'up' && key !== 'mtu')
      throw new InvalidInputError(`invalid link settings: unknown field ${JSON.stringify(key)}`);
  }
  if (settings.up !== undefined && typeof settings.up !== 'boolean') {
    throw new InvalidInputError('invalid link settings: up is true or false');
  }
  const mtu = settings.mtu === undefined ? 0 : checkUint(settings.mtu, 'MTU', 2 ** 31 - 1);
  if (settings.mtu !== undefined && mtu === 0) throw new InvalidInputError('invalid MTU: 0');
  return { up: settings.up === undefined ? -1 : settings.up ? 1 : 0, mtu };
}
