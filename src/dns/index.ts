// DNS through the VPN while the redirect is on: systemd-resolved's per-link settings where it runs (over
// D-Bus, no program run), else /etc/resolv.conf. prepareDns for `up`, revertDns for `down`, describeDns for `status`.
import { RefusedError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';
import { DBusConnection, DBusUnreachableError, systemBusAddress } from './dbus-connection.js';
import { linkDns, RESOLVED_NAME, revertLink, routingDomains, serverTexts, setLinkDns } from './resolved.js';
import {
  markedFor,
  readResolvConf,
  removeResolvConf,
  replaceResolvConf,
  resolvConfText,
  RESOLV_CONF,
} from './resolv-conf.js';
import type { CheckedDns } from './settings.js';
import { readDnsRecord, removeDnsRecord, writeDnsRecord, type DnsRecord } from './state.js';

export { checkDns, type CheckedDns, type DnsOptions } from './settings.js';
export { readDnsRecord, type DnsRecord } from './state.js';

export interface DnsStatus {
  via: 'resolved' | 'resolv.conf';
  servers: string[];
  domains: string[];
  problems: string[];
}

const DEFAULT_TIMEOUT_MS = 5000;

/** DNS settings ready to be made: whatever would refuse them has been found out before anything changed. */
export interface PreparedDns {
  /** The VPN's resolvers they set. */
  readonly servers: string[];
  /** Makes them; what it did, as one line. */
  apply(): Promise<string[]>;
  /** Lets go of what preparing took (the bus connection), applied or not. */
  close(): void;
}

/**
 * Finds where the VPN's resolvers go (systemd-resolved on the system bus, else /etc/resolv.conf) and refuses
 * what cannot be done, so that `up` refuses before its first route. Called under the interface's lock, with the
 * record of what `up` set before (`earlier`), if any.
 */
export async function prepareDns(
  nl: RouteSocket,
  nsId: string,
  iface: string,
  dns: CheckedDns,
  earlier: DnsRecord | undefined,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<PreparedDns> {
  if (nl.netns !== undefined) {
    throw new RefusedError(
      'DNS is set for the namespace redirect-gateway runs in (its resolv.conf, its resolved): run it there (ip netns exec NAME ...) rather than with --netns',
    );
  }
  const servers = serverTexts(dns.servers);
  const what = `DNS: ${servers.join(', ')} ${dns.domains.length ? `for ${dns.domains.join(', ')}` : 'for every name'}`;
  // A resolv.conf of ours stays the place until `down` puts the one before it back, even if resolved started since.
  const bus = earlier?.via === 'resolv.conf' ? undefined : await resolvedBus(timeoutMs);
  if (bus) {
    try {
      const ifindex = await linkIndex(nl, iface);
      return {
        servers,
        apply: async () => {
          await writeDnsRecord(nsId, iface, { version: 1, via: 'resolved', servers, domains: dns.domains });
          await setLinkDns(bus, ifindex, dns);
          return [`${what} through ${iface} (systemd-resolved)`];
        },
        close: () => bus.close(),
      };
    } catch (e) {
      bus.close();
      throw e;
    }
  }
  const write = await resolvConfWriter(nsId, iface, dns, servers, earlier);
  const split = dns.domains.length ? ' (no split DNS without systemd-resolved: every name goes there)' : '';
  return {
    servers,
    apply: async () => {
      await write();
      return [`${what} in ${RESOLV_CONF}${split}`];
    },
    close: () => undefined,
  };
}

/**
 * Undoes what prepareDns applied, as its `record` says: resolved's link reverted, or the previous resolv.conf put
 * back byte for byte.
 */
export async function revertDns(
  nl: RouteSocket,
  nsId: string,
  iface: string,
  record: DnsRecord | undefined,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string[]> {
  if (!record) return [];
  const done = record.via === 'resolved' ? await revertResolved(nl, iface, timeoutMs) : revertResolvConf(iface, record);
  await removeDnsRecord(nsId, iface);
  return [done];
}

/** The DNS settings `up` made, and whether they still hold. */
export async function describeDns(
  nl: RouteSocket,
  nsId: string,
  iface: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<DnsStatus | undefined> {
  const record = readDnsRecord(nsId, iface);
  if (!record) return undefined;
  const problems =
    record.via === 'resolved'
      ? await resolvedProblems(nl, iface, record, timeoutMs)
      : resolvConfProblems(iface, record);
  return { via: record.via, servers: record.servers, domains: record.domains, problems };
}

/** A connection to the system bus where resolved runs on it; undefined where there is no bus or no resolved. */
async function resolvedBus(timeoutMs: number): Promise<DBusConnection | undefined> {
  let bus;
  try {
    bus = await DBusConnection.open(systemBusAddress(), timeoutMs);
  } catch (e) {
    if (e instanceof DBusUnreachableError) return undefined;
    throw e;
  }
  if (await bus.hasOwner(RESOLVED_NAME).catch(() => false)) return bus;
  bus.close();
  return undefined;
}

async function linkIndex(nl: RouteSocket, iface: string): Promise<number> {
  const link = await nl.getLink(iface);
  if (!link) throw new RefusedError(`no interface ${iface} to set DNS for`);
  return link.index;
}

/** Checks that the file can be ours; the function then keeps the one there (unless it is ours) and writes ours. */
async function resolvConfWriter(
  nsId: string,
  iface: string,
  dns: CheckedDns,
  servers: string[],
  record: DnsRecord | undefined,
): Promise<() => Promise<void>> {
  const now = readResolvConf();
  const owner = markedFor(now);
  if (owner !== undefined && owner !== iface)
    throw new RefusedError(`${RESOLV_CONF} holds the DNS of the redirect through ${owner}: take that down first`);
  // Ours already (a second `up`, or one after a crash): the file kept is still the one from before.
  if (owner === iface && record?.via !== 'resolv.conf') {
    throw new RefusedError(
      `${RESOLV_CONF} was written for ${iface} by an earlier run, and the file before it is not kept (/run was cleared): put it back by hand`,
    );
  }
  const previous = owner === iface ? record!.previous : now && { base64: now.bytes.toString('base64'), mode: now.mode };
  return async () => {
    await writeDnsRecord(nsId, iface, { version: 1, via: 'resolv.conf', servers, domains: dns.domains, previous });
    replaceResolvConf({ bytes: Buffer.from(resolvConfText(iface, dns)), mode: now?.mode ?? 0o644 });
  };
}

async function revertResolved(nl: RouteSocket, iface: string, timeoutMs: number): Promise<string> {
  const link = await nl.getLink(iface);
  // resolved drops a link's settings with the link.
  if (!link) return `DNS: ${iface} is gone, and its settings in systemd-resolved with it`;
  const bus = await resolvedBus(timeoutMs);
  if (!bus) return `DNS: systemd-resolved no longer runs, nothing to revert`;
  try {
    await revertLink(bus, link.index);
  } finally {
    bus.close();
  }
  return `DNS: reverted ${iface} in systemd-resolved`;
}

function revertResolvConf(iface: string, record: DnsRecord): string {
  let now;
  try {
    now = readResolvConf();
  } catch (e) {
    return `DNS: ${RESOLV_CONF} left as it is: ${(e as Error).message}`;
  }
  if (markedFor(now) !== iface) return `DNS: ${RESOLV_CONF} was replaced since, left as it is`;
  if (record.previous) {
    replaceResolvConf({ bytes: Buffer.from(record.previous.base64, 'base64'), mode: record.previous.mode });
    return `DNS: restored the previous ${RESOLV_CONF}`;
  }
  removeResolvConf();
  return `DNS: removed ${RESOLV_CONF} (there was none before)`;
}

async function resolvedProblems(
  nl: RouteSocket,
  iface: string,
  record: DnsRecord,
  timeoutMs: number,
): Promise<string[]> {
  const link = await nl.getLink(iface);
  if (!link) return []; // the redirect's status says the interface is gone
  const bus = await resolvedBus(timeoutMs);
  if (!bus) return ['systemd-resolved no longer runs: the DNS settings for the VPN are gone'];
  try {
    const now = await linkDns(bus, link.index);
    const wanted = { servers: record.servers, domains: routingDomains({ servers: [], domains: record.domains }) };
    if (same(now.servers, wanted.servers) && same(now.domains, wanted.domains)) return [];
    return [
      `DNS of ${iface} in systemd-resolved changed by someone else: servers ${now.servers.join(', ') || 'none'}, domains ${now.domains.join(', ') || 'none'}`,
    ];
  } finally {
    bus.close();
  }
}

function resolvConfProblems(iface: string, record: DnsRecord): string[] {
  try {
    const now = readResolvConf();
    const servers = record.servers.map((s) => `nameserver ${s}`);
    const text = now?.bytes.toString('latin1') ?? '';
    if (markedFor(now) === iface && servers.every((line) => text.includes(`${line}\n`))) return [];
  } catch {
    // a symbolic link now: replaced too
  }
  return [`${RESOLV_CONF} was replaced by someone else: DNS no longer goes through ${iface}`];
}

const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
