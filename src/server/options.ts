// What serve/unserve/status are asked, validated before anything is read or changed.
import { addressLength, classify, formatAddress, parsePrefix, type Family, type Prefix } from '../address.js';
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
  const prefixes = options.subnets.map((text) => {
    const prefix = parsePrefix(text, 'subnet');
    if (prefix.length === 0)
      throw new InvalidInputError(`invalid subnet: ${prefix.cidr} would masquerade every address`);
    const kind = sourceless(prefix);
    if (kind) throw new InvalidInputError(`invalid subnet: ${prefix.cidr} is ${kind}, never a client's source address`);
    return prefix;
  });
  for (const family of [4, 6] as Family[]) {
    const mine = prefixes.filter((p) => p.family === family);
    if (coversAll(mine)) {
      const list = mine.map((p) => p.cidr).join(', ');
      throw new InvalidInputError(`invalid subnets: ${list} together cover every IPv${family} address`);
    }
  }
  const subnets = prefixes.map((p) => ({ family: p.family, cidr: p.cidr }));
  return subnets.filter((s, i) => subnets.findIndex((t) => t.cidr === s.cidr) === i);
}

/** The prefix's addresses as a range of numbers. */
function range(prefix: Prefix): [bigint, bigint] {
  const bits = BigInt(addressLength(prefix.family) * 8);
  const first = prefix.bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
  return [first, first + (1n << (bits - BigInt(prefix.length))) - 1n];
}

/** Whether the prefixes (one family) together hold every address of it. */
function coversAll(prefixes: Prefix[]): boolean {
  if (prefixes.length === 0) return false;
  let next = 0n; // the lowest address not covered yet
  for (const [first, last] of prefixes.map(range).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (first > next) return false;
    if (last >= next) next = last + 1n;
  }
  return next === 1n << BigInt(addressLength(prefixes[0].family) * 8);
}

/** The kind of a prefix whose addresses are never a packet's source (multicast, loopback...), or undefined. */
function sourceless(prefix: Prefix): string | undefined {
  const length = addressLength(prefix.family);
  const last = range(prefix)[1];
  const bytes = Uint8Array.from({ length }, (_, i) => Number((last >> BigInt(8 * (length - 1 - i))) & 0xffn));
  const kind = classify(prefix);
  const lastKind = classify({ family: prefix.family, bytes, text: formatAddress(prefix.family, bytes) });
  return kind !== 'unicast' && lastKind === kind ? kind : undefined;
}
