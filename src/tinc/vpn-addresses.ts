// The addresses a tinc-up puts on the VPN interface (`--address 172.16.1.2/16`), validated once, for both
// install-hook (before it writes a script) and the hook (before it sends anything).
import { classify, parseAddress, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';

export interface VpnAddress {
  family: Family;
  /** The address as the kernel lists it ('local'), and its prefix length. */
  local: string;
  prefixlen: number;
  /** Canonical 'address/length' (host bits kept: they are the node's own address). */
  cidr: string;
}

export function parseVpnAddress(text: string): VpnAddress {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) {
    throw new InvalidInputError(
      `invalid --address ${JSON.stringify(text)}: give the node's VPN address with the VPN's prefix length, as 172.16.1.2/16`,
    );
  }
  const ip = parseAddress(m[1], '--address');
  const prefixlen = Number(m[2]);
  const max = ip.family === 4 ? 32 : 128;
  if (prefixlen > max) throw new InvalidInputError(`invalid --address ${text}: the prefix length is 0 to ${max}`);
  const kind = classify(ip);
  if (kind !== 'unicast') throw new InvalidInputError(`invalid --address ${text}: ${ip.text} is a ${kind} address`);
  return { family: ip.family, local: ip.text, prefixlen, cidr: `${ip.text}/${prefixlen}` };
}

/** Each address once; two given for one local address (with different lengths) is a mistake. */
export function parseVpnAddresses(texts: string[]): VpnAddress[] {
  const parsed = texts.map(parseVpnAddress);
  for (const [i, a] of parsed.entries()) {
    const twin = parsed.findIndex((b) => b.local === a.local);
    if (twin !== i) throw new InvalidInputError(`--address ${a.local} is given twice`);
  }
  return parsed;
}
