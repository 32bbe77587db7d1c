// --dns and --dns-domain, as `up`, `hook up` and install-hook take them.
import type { DnsOptions } from '../dns/index.js';
import { InvalidInputError } from '../errors.js';
import type { OptionSpec, Parsed } from './args.js';

export const DNS_OPTIONS = {
  '--dns': { value: true, repeat: true },
  '--dns-domain': { value: true, repeat: true },
} satisfies Record<string, OptionSpec>;

export const DNS_OPTIONS_HELP = `  --dns IP       while the redirect is on, look names up with this resolver (the server's VPN address, say),
                 through systemd-resolved where it runs, else in /etc/resolv.conf; repeatable; down reverts it
  --dns-domain D split DNS: only names under D go to --dns (systemd-resolved only); repeatable`;

export function dnsArgs(parsed: Parsed): { dns?: DnsOptions } {
  const servers = parsed.options.get('--dns');
  const domains = parsed.options.get('--dns-domain');
  if (!servers) {
    if (domains) throw new InvalidInputError('--dns-domain needs --dns');
    return {};
  }
  return { dns: { servers, ...(domains ? { domains } : {}) } };
}

/** The options again, as install-hook passes them on to `hook up`. */
export function dnsFlags(parsed: Parsed): string[] {
  return Object.keys(DNS_OPTIONS).flatMap((name) => (parsed.options.get(name) ?? []).flatMap((v) => [name, v]));
}
