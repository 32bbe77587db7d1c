// What `up` is given that only the kernel can tell is meaningless: a server address of this host or the
// broadcast address of one of its networks, a VPN gateway that is this host's own address or the router the
// server is reached through. Refused as invalid input, by exact lookups (as `ip route get`), before any change.
import { InvalidInputError } from '../errors.js';
import type { Route, RouteSocket } from '../netlink/index.js';
import type { CheckedUp } from './options.js';
import { tincPath } from './tinc-path.js';

async function pathTo(nl: RouteSocket, address: string): Promise<Route | undefined> {
  return nl.getRoute(address).catch(() => undefined); // no route: the redirect's own look reports it
}

export async function refuseMeaninglessPeers(nl: RouteSocket, o: CheckedUp): Promise<void> {
  const server = await tincPath(nl, o.remote.text, o.serverPort).catch(() => undefined);
  if (server?.type === 'local') {
    throw new InvalidInputError(`invalid server address: ${o.remote.text} is an address of this host`);
  }
  if (server?.type === 'broadcast') {
    throw new InvalidInputError(
      `invalid server address: ${o.remote.text} is a broadcast address of ${server.dev}'s network`,
    );
  }
  for (const gateway of Object.values(o.gateways)) {
    if (gateway === undefined) continue;
    if ((await pathTo(nl, gateway))?.type === 'local') {
      throw new InvalidInputError(`invalid gateway: ${gateway} is an address of this host, not the VPN's far end`);
    }
    if (server?.gateway === gateway && server.dev !== o.iface) {
      throw new InvalidInputError(
        `invalid gateway: ${gateway} is the router of ${server.dev} that the server is reached through, not the VPN's gateway on ${o.iface}`,
      );
    }
  }
}
