// Where hosts/SERVER says the server is: its `Address` lines (a host name or an address, and an optional port)
// and its `Port`. The lockdown lets tinc's own traffic through to that port only.
import { parseAddress } from '../address.js';
import { readTincFile } from './config.js';

export interface ServerEndpoint {
  /** The port tincd connects to: Port (655 when absent); an Address line's own port is not known here. */
  port?: number;
  /** Address lines naming a host rather than an address: each is looked up by DNS, in clear, before the VPN. */
  hostNames: string[];
}

function isAddress(text: string): boolean {
  try {
    parseAddress(text);
    return true;
  } catch {
    return false;
  }
}

/** What hosts/SERVER says, or undefined when it cannot be read. */
export async function serverEndpoint(hostFile: string): Promise<ServerEndpoint | undefined> {
  const host = await readTincFile(hostFile).catch(() => undefined);
  if (!host) return undefined;
  const port = host.get('port')?.[0];
  const hosts = (host.get('address') ?? []).map((line) => line.split(/\s+/)[0]).filter(Boolean);
  return {
    port: port !== undefined && /^\d{1,5}$/.test(port) ? Number(port) : undefined,
    hostNames: hosts.filter((h) => !isAddress(h)),
  };
}
