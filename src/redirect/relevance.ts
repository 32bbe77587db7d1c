// Which change events can concern a redirect, decided before any lookup: the follower must cost next to
// nothing while a BGP feed changes routes elsewhere. An event concerns the redirect when it can change the path
// to the server or a peer (a route whose prefix contains one of their addresses, a rule), is about one of our
// routes, or about the VPN interface or the uplink (a link going down or an address going away makes the kernel
// flush routes without a route event). An overrun means anything may have happened.
import { ipv4Number, parseAddress, parsePrefix, type Address } from '../address.js';
import { protocolNumber, type Route, type WatchEvent } from '../netlink/index.js';

export interface Watched {
  iface: string;
  protocol: number;
  /** The server's and the mesh peers' addresses. */
  addresses: readonly string[];
  /** The interfaces the exception routes leave by. */
  uplinks: readonly string[];
}

function contains(prefix: Address & { length: number }, address: Address): boolean {
  if (prefix.family !== address.family) return false;
  for (let bit = 0; bit < prefix.length; bit += 8) {
    const bits = Math.min(8, prefix.length - bit);
    const mask = (0xff00 >> bits) & 0xff;
    if ((prefix.bytes[bit >> 3] & mask) !== (address.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

export class Relevance {
  readonly #watched: Watched;
  readonly #v4: number[];
  readonly #addresses: Address[];
  readonly #devices: Set<string>;

  constructor(watched: Watched) {
    this.#watched = watched;
    this.#addresses = watched.addresses.map((a) => parseAddress(a));
    this.#v4 = this.#addresses.filter((a) => a.family === 4).map((a) => ipv4Number(a.text, a.text.length));
    this.#devices = new Set([watched.iface, ...watched.uplinks]);
  }

  concerns(event: WatchEvent): boolean {
    switch (event.type) {
      case 'overrun':
      case 'rule':
        return true;
      case 'link':
        return this.#devices.has(event.link.name);
      case 'address':
        return event.address.dev !== undefined && this.#devices.has(event.address.dev);
      case 'route':
        return this.#routeConcerns(event.route);
    }
  }

  #routeConcerns(route: Route): boolean {
    if (route.dev === this.#watched.iface || protocolNumber(route.protocol) === this.#watched.protocol) return true;
    const slash = route.dst.indexOf('/');
    if (route.family === 4) {
      const length = Number(route.dst.slice(slash + 1));
      const network = ipv4Number(route.dst, slash);
      if (network < 0) return true; // not what the kernel sends: look rather than miss it
      if (length === 0) return true;
      const size = 2 ** (32 - length);
      return this.#v4.some((a) => a - (a % size) === network);
    }
    const prefix = parsePrefix(route.dst);
    return this.#addresses.some((a) => contains(prefix, a));
  }
}
