// tinc's own scripts, netlink-native: what tinc-up does with `ip addr add` and `ip link set up`, and what
// tinc-down undoes (the redirect on the interface, a kill switch with it, and our addresses).
import { NetlinkError, RefusedError } from '../errors.js';
import { open, type Address, type RouteSocket } from '../netlink/index.js';
import type { VpnAddress } from './vpn-addresses.js';

export interface InterfaceOptions {
  netns?: string;
  timeoutMs?: number;
}

const has = (present: Address[], a: VpnAddress) =>
  present.some((p) => p.family === a.family && p.local === a.local && p.prefixlen === a.prefixlen);

async function withSocket<T>(options: InterfaceOptions, work: (nl: RouteSocket) => Promise<T>): Promise<T> {
  const nl = await open(options);
  try {
    return await work(nl);
  } finally {
    nl.close();
  }
}

/** Puts each address on the interface (IPv6 without duplicate address detection) and sets it up; idempotent. */
export function bringUp(iface: string, addresses: VpnAddress[], options: InterfaceOptions): Promise<string[]> {
  return withSocket(options, async (nl) => {
    const link = await nl.getLink(iface);
    if (!link) throw new RefusedError(`no interface ${iface} (tincd names it in INTERFACE once it has made it)`);
    const present = await nl.listAddresses({ dev: iface });
    const lines = [];
    for (const a of addresses) {
      if (has(present, a)) {
        lines.push(`${a.cidr} is already on ${iface}`);
        continue;
      }
      const added = await nl
        .addAddress({ dev: iface, address: a.cidr, ...(a.family === 6 ? { nodad: true } : {}) })
        .then(
          () => true,
          (e) => (e instanceof NetlinkError && e.code === 'EEXIST' ? false : Promise.reject(e)), // added meanwhile
        );
      lines.push(added ? `added address ${a.cidr} dev ${iface}` : `${a.cidr} is already on ${iface}`);
    }
    await nl.setLink(iface, { up: true });
    lines.push(`set ${iface} up`);
    return lines;
  });
}

/** Removes those of the addresses that are still on the interface; nothing when the interface is gone. */
export function removeAddresses(iface: string, addresses: VpnAddress[], options: InterfaceOptions): Promise<string[]> {
  if (addresses.length === 0) return Promise.resolve([]);
  return withSocket(options, async (nl) => {
    if (!(await nl.getLink(iface))) return [`${iface} is gone with its addresses`];
    const present = await nl.listAddresses({ dev: iface });
    const lines = [];
    for (const a of addresses.filter((x) => has(present, x))) {
      await nl.deleteAddress({ dev: iface, address: a.cidr });
      lines.push(`deleted address ${a.cidr} dev ${iface}`);
    }
    return lines;
  });
}
