import { up as redirectUp } from '../../redirect/index.js';
import { expectPositionals, parseFamily } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { DNS_OPTIONS, DNS_OPTIONS_HELP, dnsArgs } from '../dns-options.js';
import { LEAK_OPTIONS, LEAK_OPTIONS_HELP, leakOptions } from '../leak-options.js';
import { toJson } from '../format.js';
import { describeFollower, ensureFollower } from '../follower-spawn.js';
import { resultLines, STRATEGY_HELP, STRATEGY_OPTIONS, strategyArgs } from '../strategy-args.js';

export const up: Command = {
  synopsis:
    'redirect-gateway up IFACE REMOTE [--gateway IP]... [--family 4|6|both] [--strategy halves|rules [--table N] [--priority N]] [--kill-switch] [--block-ipv6] [--dns IP]... [--dns-domain DOMAIN]... [--netns NAME] [--follow] [--json]',
  help: `Sends all traffic through the VPN interface IFACE, keeping the VPN's own packets to the server's real
address REMOTE on their original path. Adds 0.0.0.0/1 and 128.0.0.0/1 (::/1 and 8000::/1 for IPv6)
through IFACE and, where the server is reached through the default route, a host route to it via the
original gateway. The original default route is never touched. Running it again changes nothing.
  --gateway IP   switch style: route through the VPN gateway's address (once per family)
  --family F     4 (default), 6 or both
${LEAK_OPTIONS_HELP}
${DNS_OPTIONS_HELP}
${STRATEGY_HELP}
  --netns NAME   work inside a named network namespace
  --follow       keep it right while the network changes: starts \`redirect-gateway follow IFACE\`
                 detached, unless one runs already (\`down\` ends it)
  --json         print JSON`,
  options: {
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    '--follow': {},
    ...LEAK_OPTIONS,
    ...DNS_OPTIONS,
    ...STRATEGY_OPTIONS,
    ...NETNS_OPTION,
    ...JSON_OPTION,
  },
  async run(parsed, output) {
    const [iface, remote] = expectPositionals(parsed, 2, 2, 'IFACE and REMOTE');
    const netns = optionValue(parsed, '--netns');
    const result = await redirectUp(iface, remote, {
      gateway: parsed.options.get('--gateway'),
      family: parseFamily(optionValue(parsed, '--family')),
      netns,
      ...leakOptions(parsed),
      ...dnsArgs(parsed),
      ...strategyArgs(parsed),
    });
    const follower = parsed.options.has('--follow') ? await ensureFollower(iface, { netns }) : undefined;
    if (parsed.options.has('--json')) output.out(toJson(follower ? { ...result, follower: follower.pid } : result));
    else {
      const lines = resultLines(result);
      output.out(lines.length ? lines.join('\n') : `${iface}: already redirected, nothing changed`);
      if (follower) output.out(describeFollower(follower));
    }
  },
};
