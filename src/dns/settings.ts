// What `up --dns` is given, checked: the VPN's resolvers, and the domains they answer for (split DNS).
import { parseAddress, type Address } from '../address.js';
import { InvalidInputError } from '../errors.js';

export interface DnsOptions {
  /** The resolvers to use while the redirect is on (the server's VPN address, say). */
  servers: string[];
  /**
   * Split DNS: only names under these domains go to `servers`, the rest as before (systemd-resolved only).
   * Without them every name goes to `servers`.
   */
  domains?: string[];
}

export interface CheckedDns {
  servers: Address[];
  /** Lower case, without a trailing dot or a leading '~'. */
  domains: string[];
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function checkDns(dns: unknown): CheckedDns | undefined {
  if (dns === undefined) return undefined;
  const d = dns as DnsOptions;
  if (typeof d !== 'object' || d === null || !Array.isArray(d.servers))
    throw new InvalidInputError('invalid dns: expected { servers: [...], domains?: [...] }');
  if (!d.servers.length) throw new InvalidInputError('invalid dns: no servers');
  if (d.domains !== undefined && !Array.isArray(d.domains))
    throw new InvalidInputError('invalid dns domains: expected a list');
  const servers = d.servers.map((s) => parseAddress(s, 'DNS server'));
  const domains = (d.domains ?? []).map(checkDomain);
  return { servers, domains: [...new Set(domains)] };
}

/** A DNS domain as resolvectl takes them ('~corp.example' too). */
function checkDomain(text: unknown): string {
  if (typeof text !== 'string') throw new InvalidInputError(`invalid DNS domain: ${JSON.stringify(text)}`);
  const name = text.replace(/^~/, '').replace(/\.$/, '').toLowerCase();
  if (name === '' || name.length > 253 || !name.split('.').every((l) => LABEL.test(l)))
    throw new InvalidInputError(`invalid DNS domain: ${JSON.stringify(text)}`);
  return name;
}
