// systemd-resolved's per-link DNS, through its D-Bus API (org.freedesktop.resolve1(5)). resolved forgets a
// link's settings when the link goes, so a VPN interface that disappears (tincd killed) takes them along.
import { formatAddress, type Address } from '../address.js';
import type { DBusConnection } from './dbus-connection.js';
import type { DBusValue, Variant } from './dbus-wire.js';
import type { CheckedDns } from './settings.js';

export const RESOLVED_NAME = 'org.freedesktop.resolve1';
const MANAGER = {
  destination: RESOLVED_NAME,
  path: '/org/freedesktop/resolve1',
  interface: `${RESOLVED_NAME}.Manager`,
};
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The link's resolvers, and its domains as routing-only domains: without split domains '.', so every name is
 * looked up through this link (resolvectl's '~.'), and the link is the default route for DNS.
 */
export async function setLinkDns(bus: DBusConnection, ifindex: number, dns: CheckedDns): Promise<void> {
  const servers = dns.servers.map((a) => [a.family === 4 ? AF_INET : AF_INET6, [...a.bytes]]);
  const domains = (dns.domains.length ? dns.domains : ['.']).map((d) => [d, true]);
  await manager(bus, 'SetLinkDNS', 'ia(iay)', [ifindex, servers]);
  await manager(bus, 'SetLinkDomains', 'ia(sb)', [ifindex, domains]);
  await manager(bus, 'SetLinkDefaultRoute', 'ib', [ifindex, dns.domains.length === 0]);
  // Answers cached from the uplink's resolvers would otherwise still be given out.
  await manager(bus, 'FlushCaches', '', []);
}

/** Back to what the link had before (nothing, for a VPN's link). */
export async function revertLink(bus: DBusConnection, ifindex: number): Promise<void> {
  await manager(bus, 'RevertLink', 'i', [ifindex]);
}

/** What resolved holds for the link now, in the form `setLinkDns` is given. */
export async function linkDns(bus: DBusConnection, ifindex: number): Promise<{ servers: string[]; domains: string[] }> {
  const [path] = await manager(bus, 'GetLink', 'i', [ifindex]);
  const property = async (name: string) => {
    const [variant] = await bus.call({
      destination: RESOLVED_NAME,
      path: path as string,
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Get',
      signature: 'ss',
      body: [`${RESOLVED_NAME}.Link`, name],
    });
    return (variant as Variant).value as DBusValue[][];
  };
  const servers = (await property('DNS')).flatMap(([family, bytes]) =>
    family === AF_INET || family === AF_INET6
      ? [formatAddress(family === AF_INET ? 4 : 6, Uint8Array.from(bytes as number[]))]
      : [],
  );
  const domains = (await property('Domains')).map(([name, routeOnly]) => `${routeOnly ? '~' : ''}${String(name)}`);
  return { servers, domains };
}

/** The domains as `linkDns` reports them when `setLinkDns` set them. */
export function routingDomains(dns: CheckedDns): string[] {
  return (dns.domains.length ? dns.domains : ['.']).map((d) => `~${d}`);
}

export const serverTexts = (servers: Address[]): string[] => servers.map((a) => a.text);

function manager(bus: DBusConnection, member: string, signature: string, body: DBusValue[]): Promise<DBusValue[]> {
  return bus.call({ ...MANAGER, member, signature, body });
}
