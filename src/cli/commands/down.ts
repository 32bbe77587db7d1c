import { down as redirectDown, endFollower } from '../../redirect/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { toJson } from '../format.js';
import { resultLines } from '../strategy-args.js';

export const down: Command = {
  synopsis: 'redirect-gateway down IFACE [--netns NAME] [--json]',
  help: `Removes the redirect through IFACE: exactly the routes (and rules, with --strategy rules) \`up\` added,
never a route of anyone else's, whatever the server's address is now, and ends its follower (\`up --follow\`).
Succeeds when there is nothing to remove.
  --netns NAME   work inside a named network namespace
  --json         print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 1, 1, 'IFACE');
    const netns = optionValue(parsed, '--netns');
    // The follower first: it must not put back what is being removed.
    const follower = await endFollower(iface, { netns });
    const result = await redirectDown(iface, { netns });
    if (parsed.options.has('--json')) output.out(toJson(follower ? { ...result, follower } : result));
    else {
      const lines = resultLines(result);
      output.out(lines.length ? lines.join('\n') : `${iface}: not redirected, nothing changed`);
      if (follower) output.out(`follower: pid ${follower} ended`);
    }
  },
};
