// The kernel settings forwarding moves. Writing a family's switch changes more than itself (net/ipv4/devinet.c
// inet_forward_change, net/ipv6/addrconf.c addrconf_fixup_forwarding): net/ipv4/ip_forward also sets
// conf/default/forwarding and every device's forwarding to its value, and conf/all/accept_redirects to its
// inverse; net/ipv6/conf/all/forwarding sets conf/default/forwarding and every device's. So all of those are read
// before the switch is written, and put back after it, in an order that lets no write undo another.
import type { Family } from '../address.js';
import { NetlinkError } from '../errors.js';
import type { RouteSocket } from '../netlink/index.js';

/** Each family's switch: what serve writes (1), and unserve restores first. */
export const FORWARDING_SETTINGS: Record<Family, string> = {
  4: 'net/ipv4/ip_forward',
  6: 'net/ipv6/conf/all/forwarding',
};

/** Setting name -> value. */
export type Settings = Record<string, string>;

export interface SettingChange {
  name: string;
  from: string;
  to: string;
}

/** A device whose settings can be named as a path under net/ (checkSysctlName): every usual name. */
const PATH_NAME = /^[A-Za-z0-9_.-]+$/;

export function acceptRaSetting(dev: string): string {
  return `net/ipv6/conf/${dev}/accept_ra`;
}

/** The settings writing the family's switch changes beside itself, for these devices (and default, and all). */
export function sideEffects(family: Family, devices: string[]): string[] {
  const conf = `net/ipv${family}/conf`;
  const named = ['default', ...devices.filter((d) => PATH_NAME.test(d))];
  const forwarding = named.map((d) => `${conf}/${d}/forwarding`);
  return family === 6 ? forwarding : [...forwarding, `${conf}/all/accept_redirects`];
}

/** The order writes restore in: the switches first (they overwrite the rest), accept_ra last (see slaac.ts). */
function rank(name: string): number {
  if (Object.values(FORWARDING_SETTINGS).includes(name)) return 0;
  return name.endsWith('/accept_ra') ? 2 : 1;
}

/** The setting's value, or undefined where it does not exist (a device without IPv4 or IPv6, or gone). */
export async function readSetting(nl: RouteSocket, name: string): Promise<string | undefined> {
  try {
    return await nl.getSysctl(name);
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The values of the settings that exist. */
export async function readSettings(nl: RouteSocket, names: string[]): Promise<Settings> {
  const values: Settings = {};
  for (const name of names) {
    const value = await readSetting(nl, name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** Writes the value where it is not the setting's already; the change, or undefined (none, or no such setting). */
export async function writeSetting(nl: RouteSocket, name: string, value: string): Promise<SettingChange | undefined> {
  const from = await readSetting(nl, name);
  if (from === undefined || from === value) return undefined;
  try {
    await nl.setSysctl(name, value);
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENOENT') return undefined; // its device went meanwhile
    throw e;
  }
  return { name, from, to: value };
}

/** Puts the settings back to these values (a device gone meanwhile skipped); what it changed, in order. */
export async function restoreSettings(nl: RouteSocket, values: Settings): Promise<SettingChange[]> {
  const names = Object.keys(values).sort((a, b) => rank(a) - rank(b));
  const changes: SettingChange[] = [];
  for (const name of names) {
    const change = await writeSetting(nl, name, values[name]);
    if (change) changes.push(change);
  }
  return changes;
}
