import { serve as startServing, unserve as stopServing, type ServeResult } from '../../server/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command, type Output } from '../command.js';
import { toJson } from '../format.js';

function report(result: ServeResult, json: boolean, output: Output, serving: boolean): void {
  if (json) {
    output.out(toJson(result));
    return;
  }
  const lines = result.settings.map((c) => `${serving ? 'set' : 'restored'} ${c.name} = ${c.to} (was ${c.from})`);
  for (const [family, uplink] of Object.entries(result.uplinks))
    lines.push(`IPv${family} uplink ${uplink.dev} (${uplink.how})`);
  if (result.tableChanged) {
    const rules = result.rules.map(
      (r) => `  ${r.family === 6 ? 'ip6' : 'ip'} saddr ${r.source} oifname "${r.oif}" masquerade`,
    );
    lines.push(
      serving ? 'table inet redirect_gateway now masquerades:' : 'removed from table inet redirect_gateway:',
      ...rules,
    );
  }
  for (const note of result.notes) output.err(`redirect-gateway: ${serving ? 'serve' : 'unserve'}: ${note}`);
  const changed = result.tableChanged || result.settings.length > 0;
  output.out(changed ? lines.join('\n') : [...lines, `${result.iface}: nothing changed`].join('\n'));
}

export const serve: Command = {
  synopsis: 'redirect-gateway serve IFACE [--uplink DEV] [--subnet CIDR]... [--netns NAME] [--json]',
  help: `The VPN server's side of a redirect: turns IP forwarding on (net/ipv4/ip_forward, and
net/ipv6/conf/all/forwarding when IPv6 is masqueraded) and masquerades the VPN's subnets out of the uplink, in an
nf_tables table of our own (inet redirect_gateway, with the comment "managed by redirect-gateway serve"), through
netlink. Every setting forwarding moves is recorded first. The IPv6 uplink, and any interface with a default route
from router advertisements, go from accept_ra=1 to 2, so the server keeps its IPv6 default route (SLAAC). A table
of that name that is not ours is refused, never touched. Idempotent; unserve undoes it exactly.
  --uplink DEV     the interface to the internet (default: the one the kernel routes 192.0.2.1 / 2001:db8::1 by,
                   documentation addresses that only the default route covers)
  --subnet CIDR    a VPN subnet to masquerade (repeatable; default: the networks of IFACE's global addresses)
  --netns NAME     work inside a named network namespace
  --json           print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION, '--uplink': { value: true }, '--subnet': { value: true, repeat: true } },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 1, 1, 'IFACE');
    const result = await startServing(iface, {
      netns: optionValue(parsed, '--netns'),
      uplink: optionValue(parsed, '--uplink'),
      subnets: parsed.options.get('--subnet'),
    });
    report(result, parsed.options.has('--json'), output, true);
  },
};

export const unserve: Command = {
  synopsis: 'redirect-gateway unserve IFACE [--netns NAME] [--json]',
  help: `Undoes serve for IFACE: its masquerade rules out of table inet redirect_gateway (the table deleted with the
last served interface), and every setting serve moved (forwarding, its side effects, accept_ra) restored to what it
was before the first serve. Succeeds when nothing is served. With the record of those settings lost, forwarding is
turned off (the kernel's default) with a warning.
  --netns NAME     work inside a named network namespace
  --json           print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 1, 1, 'IFACE');
    const result = await stopServing(iface, { netns: optionValue(parsed, '--netns') });
    report(result, parsed.options.has('--json'), output, false);
  },
};
