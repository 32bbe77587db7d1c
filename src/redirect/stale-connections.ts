// After a roam the VPN daemon's connections to the server can be dead, yet the daemon learns it only at its ping
// timeout (tinc 1.0: about a minute of black hole, then its SERVER-down):
//   - an address of the namespace gone (DHCP released it): the connections bound to it;
//   - the path to the server moved to another gateway with the address kept (two home routers on one subnet):
//     every connection to the server, since it went through a NAT that never sees the new path.
// The follower closes them (SOCK_DESTROY: the daemon's next call fails at once, it drops the connection and
// schedules a retry), and only them: the recorded tincd's own sockets (their inodes, from /proc/PID/fd), or,
// with no tincd recorded, the sockets to the server. Once the server can be reached outside the VPN again it
// asks tincd to retry at once (SIGALRM: tinc 1.0 expires its retry timers), not before: a retry with no path
// fails and only lengthens tincd's back-off.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { RouteSocket, SocketFilter, SocketInfo } from '../netlink/index.js';
import { tincPath } from './tinc-path.js';

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** The inodes of a process's sockets (its /proc/PID/fd links `socket:[INODE]`); empty when it is gone. */
export function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: number[] = [];
  for (const fd of fds) {
    try {
      const match = SOCKET_LINK.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(Number(match[1]));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

export interface VpnDaemon {
  /** The tincd whose hook started the follower, when it was recorded. */
  pid?: number;
  /** The server's address. */
  server: string;
}

/** Destroys the daemon's sockets whose local address the namespace no longer has; those destroyed. */
export async function closeStaleConnections(nl: RouteSocket, daemon: VpnDaemon): Promise<SocketInfo[]> {
  const present = (await nl.listAddresses()).map((a) => a.local);
  return closeDaemonSockets(nl, daemon, { localNotIn: present });
}

/** Destroys the daemon's connections to the server, after its path moved to another gateway; those destroyed. */
export function closeConnectionsToServer(nl: RouteSocket, daemon: VpnDaemon): Promise<SocketInfo[]> {
  return closeDaemonSockets(nl, daemon, { remote: daemon.server });
}

async function closeDaemonSockets(nl: RouteSocket, daemon: VpnDaemon, filter: SocketFilter): Promise<SocketInfo[]> {
  if (daemon.pid === undefined) return nl.destroySockets({ ...filter, remote: daemon.server });
  const inodes = socketInodes(daemon.pid);
  return inodes.length ? nl.destroySockets({ ...filter, inodes }) : [];
}

/**
 * Where tinc's packets to the server leave now, outside the VPN (`gateway dev`, or `dev` for a gatewayless path);
 * undefined when they have no such path (into the VPN, refused, no route).
 */
export async function pathOutside(
  nl: RouteSocket,
  server: string,
  port: number,
  vpn: string,
): Promise<string | undefined> {
  try {
    const route = await tincPath(nl, server, port);
    if (route.dev === undefined || route.dev === vpn) return undefined;
    return route.gateway ? `${route.gateway} ${route.dev}` : route.dev;
  } catch {
    return undefined; // unreachable (a kill switch's fallback), or no route at all
  }
}

/**
 * SIGALRM: tinc 1.0 retries its outgoing connections now. False when that pid is no tincd any more (SIGALRM
 * would end whatever process has its number now).
 */
export function askToReconnect(pid: number): boolean {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'latin1') !== 'tincd\n') return false;
    process.kill(pid, 'SIGALRM');
    return true;
  } catch {
    return false;
  }
}
