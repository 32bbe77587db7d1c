// --kill-switch, --block-ipv6, --lockdown, --lan and --server-port, as `up` and `hook up` take them.
import { InvalidInputError } from '../errors.js';
import type { LanPolicy } from '../redirect/index.js';
import type { OptionSpec, Parsed } from './args.js';
import { optionValue } from './command.js';

export const LEAK_OPTIONS = {
  '--kill-switch': {},
  '--block-ipv6': {},
  '--lockdown': {},
  '--lan': { value: true },
  '--server-port': { value: true },
} satisfies Record<string, OptionSpec>;

export const LEAK_OPTIONS_HELP = `  --kill-switch  while the redirect is on, refuse all traffic the VPN does not carry (tincd killed or
                 reconnecting), IPv4 and IPv6, except the VPN's own path to the server; lifted by down
  --block-ipv6   with an IPv4-only redirect, refuse IPv6 beyond the LAN (the on-link IPv6 LAN still works)
  --lockdown     a firewall of ours (nf_tables table inet redirect_gateway_lockdown): nothing leaves by
                 another interface than the VPN's but tinc's own traffic to the server (TCP and UDP to its
                 port), DHCP, IPv6 neighbour discovery and the LAN as --lan says; DNS only through the VPN;
                 the rest is refused at once; lifted by down
  --lan POLICY   under --lockdown, what of the LAN may be reached in clear: private (the default: only
                 private and link-local networks), allow (all of it) or block (none but the gateway)
  --server-port N  the server's tinc port (TCP and UDP): the only traffic to its address that --lockdown lets
                 through and --strategy rules keeps out of the VPN (default: REMOTEPORT in a hook, else 655)`;

export interface LeakOptions {
  killSwitch: boolean;
  blockIpv6: boolean;
  lockdown: boolean;
  lan?: LanPolicy;
  serverPort?: number;
}

export function leakOptions(parsed: Parsed): LeakOptions {
  const port = optionValue(parsed, '--server-port');
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw new InvalidInputError(`invalid --server-port: ${JSON.stringify(port)}`);
  return {
    killSwitch: parsed.options.has('--kill-switch'),
    blockIpv6: parsed.options.has('--block-ipv6'),
    lockdown: parsed.options.has('--lockdown'),
    lan: optionValue(parsed, '--lan') as LanPolicy | undefined,
    serverPort: port === undefined ? undefined : Number(port),
  };
}
