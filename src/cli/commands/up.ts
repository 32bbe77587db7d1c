import { up as redirectUp } from '../../redirect/index.js';
import { expectPositionals, parseFamily } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { toJson } from '../format.js';
import { resultLines, STRATEGY_HELP, STRATEGY_OPTIONS, strategyArgs } from '../strategy-args.js';

export const up: Command = {
  synopsis:
    'redirect-gateway up IFACE REMOTE [--gateway IP]... [--family 4|6|both] [--strategy halves|rules [--table N] [--priority N]] [--netns NAME] [--json]',
  help: `Sends all traffic through the VPN interface IFACE, keeping the VPN's own packets to the server's real
address REMOTE on their original path. Adds 0.0.0.0/1 and 128.0.0.0/1 (::/1 and 8000::/1 for IPv6)
through IFACE and, where the server is reached through the default route, a host route to it via the
original gateway. The original default route is never touched. Running it again changes nothing.
  --gateway IP   switch style: route through the VPN gateway's address (once per family)
  --family F     4 (default), 6 or both
${STRATEGY_HELP}
  --netns NAME   work inside a named network namespace
  --json         print JSON`,
  options: {
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    ...STRATEGY_OPTIONS,
    ...NETNS_OPTION,
    ...JSON_OPTION,
  },
  async run(parsed, output) {
    const [iface, remote] = expectPositionals(parsed, 2, 2, 'IFACE and REMOTE');
    const result = await redirectUp(iface, remote, {
      gateway: parsed.options.get('--gateway'),
      family: parseFamily(optionValue(parsed, '--family')),
      netns: optionValue(parsed, '--netns'),
      ...strategyArgs(parsed),
    });
    if (parsed.options.has('--json')) output.out(toJson(result));
    else if (resultLines(result).length === 0) output.out(`${iface}: already redirected, nothing changed`);
    else output.out(resultLines(result).join('\n'));
  },
};
