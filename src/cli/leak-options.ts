// --kill-switch and --block-ipv6, as `up` and `hook up` take them.
import type { OptionSpec, Parsed } from './args.js';

export const LEAK_OPTIONS = { '--kill-switch': {}, '--block-ipv6': {} } satisfies Record<string, OptionSpec>;

export const LEAK_OPTIONS_HELP = `  --kill-switch  while the redirect is on, refuse all traffic the VPN does not carry (tincd killed or
                 reconnecting), IPv4 and IPv6, except the VPN's own path to the server; lifted by down
  --block-ipv6   with an IPv4-only redirect, refuse IPv6 beyond the LAN (the on-link IPv6 LAN still works)`;

export function leakOptions(parsed: Parsed): { killSwitch: boolean; blockIpv6: boolean } {
  return { killSwitch: parsed.options.has('--kill-switch'), blockIpv6: parsed.options.has('--block-ipv6') };
}
