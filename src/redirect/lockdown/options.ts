// Validation of the lockdown's options (`lockdown`, `lan`, `serverPort`).
import { InvalidInputError } from '../../errors.js';

/**
 * What of the LAN may be reached outside the VPN: 'allow' all of it (the networks of this host's own addresses);
 * 'private' only where they are private or link-local (RFC 1918, RFC 4193, 169.254/16, fe80::/10), so a public
 * "LAN" goes nowhere in clear; 'block' none of it but the uplink's gateway (OpenVPN's block-local).
 */
export type LanPolicy = 'allow' | 'private' | 'block';

/** tinc's port when hosts/SERVER names none. */
export const TINC_PORT = 655;

export interface LockdownOptions {
  /**
   * A firewall of ours (nf_tables, `inet redirect_gateway_lockdown`): while the redirect is on, nothing leaves by
   * another interface than the VPN's but tinc's own traffic to its server, DHCP, IPv6 neighbour discovery and
   * what the LAN policy lets through; the rest is refused at once. Lifted by `down`.
   */
  lockdown?: boolean;
  /** The LAN policy: 'private' by default under `lockdown`, 'allow' otherwise. */
  lan?: LanPolicy;
  /** The server's tinc port (TCP and UDP), which the lockdown lets through to its address; 655 by default. */
  serverPort?: number;
}

export interface CheckedLockdown {
  lockdown: boolean;
  lan: LanPolicy;
  serverPort: number;
}

export function checkLockdown(options: LockdownOptions): CheckedLockdown {
  const lockdown = options.lockdown ?? false;
  if (typeof lockdown !== 'boolean') throw new InvalidInputError('invalid lockdown: expected true or false');
  const lan = options.lan ?? (lockdown ? 'private' : 'allow');
  if (lan !== 'allow' && lan !== 'private' && lan !== 'block')
    throw new InvalidInputError(`invalid lan: ${JSON.stringify(lan)} (allow, private or block)`);
  if (lan !== 'allow' && !lockdown)
    throw new InvalidInputError(`invalid lan: ${lan} needs the lockdown (the firewall is what holds it)`);
  const serverPort = options.serverPort ?? TINC_PORT;
  if (!Number.isInteger(serverPort) || serverPort < 1 || serverPort > 65535)
    throw new InvalidInputError(`invalid server port: ${JSON.stringify(serverPort)} (1-65535)`);
  return { lockdown, lan, serverPort };
}
