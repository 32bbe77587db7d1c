// The VPN's networks, from the addresses on its interface: IPv4 and global IPv6 (never link-local).
import { addressLength, formatAddress, parseAddress } from '../address.js';
import { RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';
import type { Subnet } from './options.js';

/** The network of an address with its prefix length: the host bits cleared. */
function network(address: string, length: number): string {
  const a = parseAddress(address);
  const bytes = Uint8Array.from(a.bytes);
  for (let bit = length; bit < addressLength(a.family) * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `${formatAddress(a.family, bytes)}/${length}`;
}

export async function interfaceSubnets(nl: RouteSocket, iface: string): Promise<Subnet[]> {
  const addresses = await nl.listAddresses({ dev: iface });
  const subnets: Subnet[] = [];
  for (const a of addresses) {
    if (a.scope !== 'global') continue;
    // A point-to-point address names its peer's network; a host address alone names no network.
    const base = a.address ?? a.local;
    if (a.address === undefined && a.prefixlen === addressLength(a.family) * 8) continue;
    const cidr = network(base, a.prefixlen);
    if (!subnets.some((s) => s.cidr === cidr)) subnets.push({ family: a.family, cidr });
  }
  if (subnets.length === 0) {
    throw new RefusedError(`${iface} has no global addresses to take the VPN's subnets from (give --subnet CIDR)`);
  }
  return subnets;
}
