// Socket diagnostics of a RouteSocket (it delegates to these): the TCP and UDP sockets of its namespace, listed
// and destroyed through NETLINK_SOCK_DIAG (SOCK_DIAG_BY_FAMILY, SOCK_DESTROY), with a filter validated first.
import { classify, parseAddress, type Family } from '../address.js';
import { InvalidInputError, NetlinkError } from '../errors.js';
import { checkUint } from '../names.js';
import { AF_INET, AF_INET6 } from './constants.js';
import type { NativeError, NativeSocket, NativeSocketHandle } from './native.js';

export type SocketProtocol = 'tcp' | 'udp';
/** ss's names of the kernel's TCP states (a UDP socket is 'UNCONN', or 'ESTAB' when connected). */
export type SocketState =
  | 'ESTAB'
  | 'SYN-SENT'
  | 'SYN-RECV'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'TIME-WAIT'
  | 'UNCONN'
  | 'CLOSE-WAIT'
  | 'LAST-ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW-SYN-RECV';

export interface SocketEndpoint {
  /** Canonical text; an IPv6 socket's IPv4 peer is IPv4-mapped ('::ffff:192.0.2.1'), as the kernel has it. */
  address: string;
  /** 0 where there is none (an unconnected socket's remote end, an unbound local one). */
  port: number;
}

export interface SocketInfo {
  family: Family;
  protocol: SocketProtocol;
  local: SocketEndpoint;
  remote: SocketEndpoint;
  state: SocketState;
  /** The socket's inode (as /proc/PID/fd shows it: socket:[INODE]); 0 for one no process holds (TIME-WAIT). */
  inode: number;
  uid: number;
}

/**
 * Which sockets: all the fields given must match. Addresses compare as addresses: an IPv4-mapped IPv6 address is
 * the IPv4 address it stands for. `localNotIn`: sockets whose local address is none of these (the addresses the
 * namespace still has, after a roam); a socket bound to the unspecified address (0.0.0.0, ::) never matches it.
 * `inodes`: sockets whose inode is one of these (a process's sockets: its /proc/PID/fd links `socket:[INODE]`).
 */
export interface SocketFilter {
  family?: 4 | 6;
  protocol?: SocketProtocol;
  local?: string;
  remote?: string;
  remotePort?: number;
  localNotIn?: string[];
  inodes?: number[];
}

const STATES: (SocketState | undefined)[] = [
  undefined,
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'NEW-SYN-RECV',
];
const PROTOCOLS: Record<SocketProtocol, number> = { tcp: 6, udp: 17 };
const FILTER_KEYS = new Set(['family', 'protocol', 'local', 'remote', 'remotePort', 'localNotIn', 'inodes']);
const ENOENT = 2;

/** An address's text for comparisons: IPv4-mapped IPv6 as its IPv4 address. */
function comparable(text: string): string {
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}

function addressOf(text: unknown, what: string): string {
  return comparable(parseAddress(text as string, what).text);
}

interface Query {
  families: number[];
  protocols: number[];
  matches: (s: SocketInfo) => boolean;
}

function query(filter: SocketFilter, operation: string): Query {
  if (typeof filter !== 'object' || filter === null) throw new InvalidInputError(`${operation}: a filter object`);
  for (const key of Object.keys(filter)) {
    if (!FILTER_KEYS.has(key)) throw new InvalidInputError(`${operation}: unknown filter field: ${key}`);
  }
  const { family, protocol, remotePort, localNotIn, inodes } = filter;
  if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
  if (protocol !== undefined && !Object.hasOwn(PROTOCOLS, protocol)) {
    throw new InvalidInputError(`invalid protocol: ${JSON.stringify(protocol)} (tcp or udp)`);
  }
  if (remotePort !== undefined) checkUint(remotePort, 'remote port', 0xffff);
  if (localNotIn !== undefined && !Array.isArray(localNotIn)) {
    throw new InvalidInputError('invalid localNotIn: expected an array of addresses');
  }
  if (inodes !== undefined && !Array.isArray(inodes)) throw new InvalidInputError('invalid inodes: expected an array');
  const held = inodes && new Set(inodes.map((i) => checkUint(i, 'inode', Number.MAX_SAFE_INTEGER)));
  const local = filter.local === undefined ? undefined : addressOf(filter.local, 'local address');
  const remote = filter.remote === undefined ? undefined : addressOf(filter.remote, 'remote address');
  const present = localNotIn && new Set(localNotIn.map((a) => addressOf(a, 'address in localNotIn')));
  return {
    families: family === undefined ? [AF_INET, AF_INET6] : [family === 4 ? AF_INET : AF_INET6],
    protocols: protocol === undefined ? [PROTOCOLS.tcp, PROTOCOLS.udp] : [PROTOCOLS[protocol]],
    matches: (s) =>
      (local === undefined || comparable(s.local.address) === local) &&
      (remote === undefined || comparable(s.remote.address) === remote) &&
      (remotePort === undefined || s.remote.port === remotePort) &&
      (held === undefined || held.has(s.inode)) &&
      (present === undefined ||
        (!present.has(comparable(s.local.address)) && classify(parseAddress(s.local.address)) !== 'unspecified')),
  };
}

function toSocket(n: NativeSocket): SocketInfo {
  return {
    family: n.family === AF_INET6 ? 6 : 4,
    protocol: n.protocol === PROTOCOLS.tcp ? 'tcp' : 'udp',
    local: { address: n.local, port: n.localPort },
    remote: { address: n.remote, port: n.remotePort },
    state: STATES[n.state] ?? 'UNCONN',
    inode: n.inode,
    uid: n.uid,
  };
}

function netlinkError(e: unknown, operation: string, subject?: string, errno?: number): unknown {
  const err = e as NativeError | undefined;
  if (errno === undefined && typeof err?.errno !== 'number') return e;
  return new NetlinkError({ errno: errno ?? err!.errno, operation, subject, extack: err?.extack });
}

function matching(handle: NativeSocketHandle, q: Query, operation: string): [NativeSocket, SocketInfo][] {
  try {
    return handle
      .listSockets(q.families, q.protocols)
      .map((n): [NativeSocket, SocketInfo] => [n, toSocket(n)])
      .filter(([, s]) => q.matches(s));
  } catch (e) {
    throw netlinkError(e, operation);
  }
}

/** Validates the filter at once (InvalidInputError) and returns the listing, for the socket's queue to make. */
export function listSockets(filter: SocketFilter): (handle: NativeSocketHandle) => SocketInfo[] {
  const q = query(filter, 'listSockets');
  return (handle) => matching(handle, q, 'listSockets').map(([, s]) => s);
}

const describe = (s: SocketInfo) =>
  `${s.protocol} ${s.local.address}:${s.local.port} -> ${s.remote.address}:${s.remote.port}`;

/**
 * Validates the filter at once and returns the destruction: the matching sockets are destroyed (SOCK_DESTROY: a
 * TCP connection is reset and its holder's calls fail with ECONNABORTED, as do a UDP socket's), and those
 * destroyed are the result (one that closed meanwhile is left out). A filter must name the sockets (local,
 * remote, remotePort or localNotIn): an empty one, which would destroy every socket, is refused.
 */
export function destroySockets(filter: SocketFilter): (handle: NativeSocketHandle) => SocketInfo[] {
  const q = query(filter, 'destroySockets');
  const { local, remote, remotePort, localNotIn, inodes } = filter;
  if ([local, remote, remotePort, localNotIn, inodes].every((f) => f === undefined)) {
    throw new InvalidInputError(
      'destroySockets: the filter must name the sockets (local, remote, remotePort, localNotIn, inodes)',
    );
  }
  return (handle) => {
    const found = matching(handle, q, 'destroySockets');
    let errors: Int32Array;
    try {
      errors = handle.destroySockets(found.map(([n]) => n));
    } catch (e) {
      throw netlinkError(e, 'destroySockets');
    }
    const failed = found.findIndex((_, i) => errors[i] !== 0 && errors[i] !== ENOENT);
    if (failed >= 0) throw netlinkError(undefined, 'destroySockets', describe(found[failed][1]), errors[failed]);
    return found.filter((_, i) => errors[i] === 0).map(([, s]) => s);
  };
}
