import { down as redirectDown } from '../../redirect/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { toJson } from '../format.js';
import { resultLines } from '../strategy-args.js';

export const down: Command = {
  synopsis: 'redirect-gateway down IFACE [--netns NAME] [--json]',
  help: `Removes the redirect through IFACE: exactly the routes (and rules, with --strategy rules) \`up\` added,
never a route of anyone else's, whatever the server's address is now. Succeeds when there is nothing to remove.
  --netns NAME   work inside a named network namespace
  --json         print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 1, 1, 'IFACE');
    const result = await redirectDown(iface, { netns: optionValue(parsed, '--netns') });
    if (parsed.options.has('--json')) output.out(toJson(result));
    else if (resultLines(result).length === 0) output.out(`${iface}: not redirected, nothing changed`);
    else output.out(resultLines(result).join('\n'));
  },
};
