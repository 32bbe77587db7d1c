import { InvalidInputError } from '../../errors.js';
import { open } from '../../netlink/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { formatRule, ruleJson, toJson } from '../format.js';

export const rules: Command = {
  synopsis: 'redirect-gateway rules [-4|-6] [--netns NAME] [--json]',
  help: `Prints the policy routing rules, as \`ip rule show\` prints them (both families unless -4 or -6:
the IPv4 rules, then the IPv6 rules).
  -4, -6         only IPv4 or IPv6 rules
  --netns NAME   read the rules of a named network namespace
  --json         print JSON, with the names of \`ip -j rule show\``,
  options: { '-4': {}, '-6': {}, ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    expectPositionals(parsed, 0, 0, '');
    if (parsed.options.has('-4') && parsed.options.has('-6'))
      throw new InvalidInputError('-4 and -6 exclude each other');
    const family = parsed.options.has('-4') ? 4 : parsed.options.has('-6') ? 6 : undefined;
    const nl = await open({ netns: optionValue(parsed, '--netns') });
    try {
      const list = await nl.listRules({ family });
      if (parsed.options.has('--json')) output.out(toJson(list.map(ruleJson)));
      else if (list.length) output.out(list.map(formatRule).join('\n'));
    } finally {
      nl.close();
    }
  },
};
