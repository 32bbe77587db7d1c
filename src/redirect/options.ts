// Validation of what `up`, `down` and `status` are given, before anything is sent to the kernel.
import { classify, parseAddress, type Address, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { open, REDIRECT_GATEWAY_PROTOCOL, RouteSocket } from '../netlink/index.js';
import { checkInterfaceName, checkNetnsName, checkUint } from '../names.js';
import { checkLockdown, type CheckedLockdown, type LockdownOptions } from './lockdown/options.js';
import { checkProtocol } from './protocol-option.js';
import { checkStrategy, type CheckedStrategy, type StrategyOptions } from './strategy-options.js';
import { checkDns, type CheckedDns, type DnsOptions } from '../dns/index.js';
import { namespaceKey } from '../store/index.js';

export interface CommonOptions {
  /** A named network namespace (/run/netns/NAME) or an absolute path to one. */
  netns?: string;
  /**
   * The routing protocol number our routes carry; 157 ('redirect-gateway') by default. Another owner's number
   * (kernel, boot, static, ra, dhcp, a routing daemon's) is refused unless allowForeignProtocol is true.
   */
  protocol?: number | string;
  /** Take a protocol number that other owners use: every route of it on the redirect's paths is then ours. */
  allowForeignProtocol?: boolean;
  /** How long one kernel reply may take (default 5000 ms); a hook wants it short. */
  timeoutMs?: number;
  /**
   * A route socket to work through (netlink.open()), for programs that redirect often: it saves opening one
   * per call. Its namespace is the one worked in; `netns` and `timeoutMs` are then not needed.
   */
  socket?: RouteSocket;
}

export interface UpOptions extends CommonOptions, StrategyOptions, LockdownOptions {
  /** The VPN gateway's address (switch style): one, or one per family. Router style without it. */
  gateway?: string | string[];
  /** Which traffic to redirect: 4 (the default), 6, or 'both'. */
  family?: 4 | 6 | 'both';
  /** DNS through the VPN while the redirect is on: its resolvers, and for split DNS the domains they serve. */
  dns?: DnsOptions;
}

export interface CheckedCommon {
  netns?: string;
  protocol: number;
  timeoutMs?: number;
  socket?: RouteSocket;
}

export interface CheckedUp extends CheckedCommon, CheckedRedirect, CheckedStrategy, CheckedLockdown {
  iface: string;
  remote: Address;
  /**
   * Suspended, as tinc's SERVER-down leaves a kill switch (redirect.suspend: everything but the half-routes and
   * the VPN gateway's host route): false ends it (`up`); absent, a re-plan keeps what the state says (the
   * follower, the mesh peers).
   */
  suspended?: boolean;
  dns?: CheckedDns;
}

/**
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is the IPv4
 * address it stands for: packets to it go out as IPv4, so its routes are IPv4 routes.
 */
export function unmapped(address: Address): Address {
  const b = address.bytes;
  if (address.family !== 6 || !b.subarray(0, 10).every((x) => x === 0) || b[10] !== 0xff || b[11] !== 0xff) {
    return address;
  }
  const bytes = Uint8Array.from(b.subarray(12));
  return { family: 4, bytes, text: bytes.join('.') };
}

/** A server or gateway must be an address a host can send unicast packets to. */
export function checkPeerAddress(text: unknown, what: string): Address {
  const address = unmapped(parseAddress(text as string, what));
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
    protocol:
      options?.protocol === undefined
        ? REDIRECT_GATEWAY_PROTOCOL
        : checkProtocol(options.protocol, options.allowForeignProtocol),
    timeoutMs: options?.timeoutMs === undefined ? undefined : checkUint(options.timeoutMs, 'timeout', 2 ** 31 - 1),
    socket: checkSocket(options?.socket, options?.netns),
  };
}

function checkSocket(socket: unknown, netns: string | undefined): RouteSocket | undefined {
  if (socket === undefined) return undefined;
  if (!(socket instanceof RouteSocket))
    throw new InvalidInputError('invalid socket: expected a RouteSocket from netlink.open()');
  if (netns !== undefined && netns !== socket.netns) {
    throw new InvalidInputError(
      `invalid options: the socket is ${socket.netns ? `in netns ${socket.netns}` : 'not in a named netns'}, not in ${netns}`,
    );
  }
  return socket;
}

/** The socket the options name: the caller's, or one opened for the call (`close` closes only that one). */
export async function socketOf(o: CheckedCommon): Promise<{ nl: RouteSocket; nsId: string; close(): void }> {
  const nl = o.socket ?? (await open({ netns: o.netns, timeoutMs: o.timeoutMs }));
  const close = () => (o.socket ? undefined : nl.close());
  try {
    return { nl, nsId: namespaceKey(nl), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** `work` on the socket the options name (socketOf). */
export async function withSocket<T>(o: CheckedCommon, work: (nl: RouteSocket, nsId: string) => Promise<T>): Promise<T> {
  const { nl, nsId, close } = await socketOf(o);
  try {
    return await work(nl, nsId);
  } finally {
    close();
  }
}

export interface CheckedRedirect {
  families: Family[];
  gateways: Partial<Record<Family, string>>;
}

/** The families to redirect and at most one VPN gateway for each of them. */
export function checkRedirect(family: unknown = 4, gateway: string | string[] | undefined): CheckedRedirect {
  if (family !== 4 && family !== 6 && family !== 'both') {
    throw new InvalidInputError(`invalid family: ${JSON.stringify(family)} (4, 6 or both)`);
  }
  const families: Family[] = family === 'both' ? [4, 6] : [family];
  const gateways: Partial<Record<Family, string>> = {};
  for (const text of gateway === undefined ? [] : Array.isArray(gateway) ? gateway : [gateway]) {
    const address = checkPeerAddress(text, 'gateway');
    if (!families.includes(address.family)) {
      throw new InvalidInputError(
        `invalid gateway: ${address.text} is IPv${address.family}, but only IPv${families.join(' and IPv')} is redirected`,
      );
    }
    if (gateways[address.family])
      throw new InvalidInputError(`invalid gateway: two IPv${address.family} gateways given`);
    gateways[address.family] = address.text;
  }
  return { families, gateways };
}

function checkVpnInterface(iface: unknown): string {
  const name = checkInterfaceName(iface);
  if (name === 'lo') throw new InvalidInputError('invalid interface: lo is the loopback device, not a VPN');
  return name;
}

export function checkUp(iface: unknown, remote: unknown, options: UpOptions = {}): CheckedUp {
  const common = checkCommon(options);
  const redirect = checkRedirect(options.family, options.gateway);
  // Object.assign, not spreads: in Node 20's V8 an object spread of several sources or with properties after
  // leaves the fast path (about 10 us here, most of it garbage).
  return Object.assign({}, common, redirect, checkStrategy(options), checkLockdown(options), {
    iface: checkVpnInterface(iface),
    remote: checkPeerAddress(remote, 'server address'),
    dns: checkDns(options.dns),
  });
}
