// What serve/unserve/status are asked, validated before anything is read or changed.
import { parsePrefix, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkNetnsName } from '../names.js';

export interface ServerOptions {
  /** A name under /run/netns, or an absolute path to a namespace file. */
  netns?: string;
}

export interface ServeOptions extends ServerOptions {
  /** The interface the clients' traffic leaves by; found from the kernel's route to the internet if not given. */
  uplink?: string;
  /** The VPN's networks (CIDR) to masquerade; the networks of the interface's addresses if not given. */
  subnets?: string[];
}

export interface Subnet {
  family: Family;
  cidr: string;
}

export function checkOptions(options: ServerOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('invalid options: not an object');
  if (options.netns !== undefined) checkNetnsName(options.netns);
}

export function checkServerOptions(iface: string, options: ServerOptions): void {
  checkInterfaceName(iface);
  checkOptions(options);
}

export function checkServeOptions(iface: string, options: ServeOptions): Subnet[] | undefined {
  checkServerOptions(iface, options);
  if (options.uplink !== undefined) {
    checkInterfaceName(options.uplink);
    if (options.uplink === iface) throw new InvalidInputError(`the uplink cannot be the VPN interface ${iface}`);
  }
  if (options.subnets === undefined) return undefined;
  if (!Array.isArray(options.subnets) || options.subnets.length === 0) {
    throw new InvalidInputError('invalid subnets: a list of at least one CIDR');
  }
  const subnets = options.subnets.map((text) => {
    const prefix = parsePrefix(text, 'subnet');
    if (prefix.length === 0)
      throw new InvalidInputError(`invalid subnet: ${prefix.cidr} would masquerade every address`);
    return { family: prefix.family, cidr: prefix.cidr };
  });
  return subnets.filter((s, i) => subnets.findIndex((t) => t.cidr === s.cidr) === i);
}
