// Validation of what `up`, `down` and `status` are given, before anything is sent to the kernel.
import { classify, parseAddress, type Address, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { REDIRECT_GATEWAY_PROTOCOL } from '../netlink/constants.js';
import { protocolNumber } from '../netlink/route-spec.js';
import { checkInterfaceName, checkNetnsName } from '../names.js';

export interface CommonOptions {
  /** A named network namespace (/run/netns/NAME) or an absolute path to one. */
  netns?: string;
  /** The routing protocol number our routes carry; 157 ('redirect-gateway') by default. */
  protocol?: number | string;
}

export interface UpOptions extends CommonOptions {
  /** The VPN gateway's address (switch style): one, or one per family. Router style without it. */
  gateway?: string | string[];
  /** Which traffic to redirect: 4 (the default), 6, or 'both'. */
  family?: 4 | 6 | 'both';
}

export interface CheckedCommon {
  netns?: string;
  protocol: number;
}

export interface CheckedUp extends CheckedCommon {
  iface: string;
  remote: Address;
  families: Family[];
  gateways: Partial<Record<Family, string>>;
}

/** A server or gateway must be an address a host can send unicast packets to. */
export function checkPeerAddress(text: unknown, what: string): Address {
  const address = parseAddress(text as string, what);
  const kind = classify(address);
  if (kind !== 'unicast' && kind !== 'link-local') {
    throw new InvalidInputError(`invalid ${what}: ${address.text} is a ${kind} address`);
  }
  return address;
}

export function checkCommon(options: CommonOptions | undefined): CheckedCommon {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidInputError('invalid options: expected an object');
  }
  return {
    netns: options?.netns === undefined ? undefined : checkNetnsName(options.netns),
    protocol: options?.protocol === undefined ? REDIRECT_GATEWAY_PROTOCOL : protocolNumber(options.protocol),
  };
}

export function checkUp(iface: unknown, remote: unknown, options: UpOptions = {}): CheckedUp {
  const common = checkCommon(options);
  const family = options.family ?? 4;
  if (family !== 4 && family !== 6 && family !== 'both') {
    throw new InvalidInputError(`invalid family: ${JSON.stringify(family)} (4, 6 or both)`);
  }
  const families: Family[] = family === 'both' ? [4, 6] : [family];
  const gateways: Partial<Record<Family, string>> = {};
  const given = options.gateway === undefined ? [] : Array.isArray(options.gateway) ? options.gateway : [options.gateway];
  for (const text of given) {
    const gateway = checkPeerAddress(text, 'gateway');
    if (!families.includes(gateway.family)) {
      throw new InvalidInputError(`invalid gateway: ${gateway.text} is IPv${gateway.family}, but only IPv${families.join(' and IPv')} is redirected`);
    }
    if (gateways[gateway.family]) throw new InvalidInputError(`invalid gateway: two IPv${gateway.family} gateways given`);
    gateways[gateway.family] = gateway.text;
  }
  return { ...common, iface: checkInterfaceName(iface), remote: checkPeerAddress(remote, 'server address'), families, gateways };
}
