// Interface addresses (`ip addr`): what listAddresses returns and what addAddress / deleteAddress take.
import type { Family } from '../address.js';

/** An address as the kernel reports it, with iproute2's JSON names (`ip -j addr show`'s addr_info). */
export interface Address {
  family: Family;
  /** The interface's name and index. */
  dev: string;
  index: number;
  /** IPv4 only: the label (the interface's name unless one was given, as 'eth0:1'). */
  label?: string;
  local: string;
  prefixlen: number;
  /** The peer of a point-to-point address (absent when it is the local address itself). */
  address?: string;
  broadcast?: string;
  /** 'global', 'link', 'host', ... or the number. */
  scope: string;
  /** The kernel's IFA_F_* names: 'permanent', 'secondary', 'nodad', 'tentative', 'noprefixroute', ... */
  flags: string[];
  /** Seconds; 4294967295 is forever. */
  validLifetime: number;
  preferredLifetime: number;
}

/** An address to add (`ip addr add`) or delete (`ip addr del`). */
export interface AddressSpec {
  dev: string;
  /** 'a.b.c.d/len' or 'x::y/len' (host bits allowed: the address and its subnet); a bare address is /32 or /128. */
  address: string;
  /** A point-to-point peer, 'a.b.c.d' or with its prefix ('10.9.0.2/32'), which then gives the length. */
  peer?: string;
  /** IPv4: the broadcast address, or '+' for the subnet's last address (ip's `brd +`). None by default. */
  broadcast?: string;
  /** IPv4: a label ('eth0:1'); it must begin with the interface's name. */
  label?: string;
  /** 'global' by default ('host' for 127.0.0.0/8, as ip chooses); IPv6 scopes follow from the address. */
  scope?: string | number;
  /** IPv6: skip duplicate address detection (the address is usable at once, not tentative). */
  nodad?: boolean;
  /** No prefix route for the address's subnet. */
  noprefixroute?: boolean;
}

export interface ListAddressesOptions {
  family?: Family;
  dev?: string;
}
