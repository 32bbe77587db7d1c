import { InvalidInputError } from '../../errors.js';
import { open, type Table } from '../../netlink/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, writer, type Command } from '../command.js';
import { ipRouteJsonInList } from '../route-json.js';
import { ipRouteText } from '../route-text.js';

function parseTable(text: string | undefined): Table | 'all' | undefined {
  if (text === undefined || text === 'all' || text === 'main' || text === 'local' || text === 'default') return text;
  if (/^\d+$/.test(text)) return Number(text);
  throw new InvalidInputError(`invalid table: ${JSON.stringify(text)} (main, local, default, all or a number)`);
}

export const routes: Command = {
  synopsis: 'redirect-gateway routes [-4|-6] [--table T] [--netns NAME] [--json]',
  help: `Prints the routing table, like \`ip route show\` (its text, byte for byte, or JSON with its names).
  -4, -6         only IPv4 or IPv6 routes (both by default)
  --table T      main (default), local, default, all, or a number
  --netns NAME   read the table of a named network namespace
  --json         print JSON: the objects of \`ip -j route show\`, its names and values`,
  options: { '-4': {}, '-6': {}, '--table': { value: true }, ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    expectPositionals(parsed, 0, 0, '');
    if (parsed.options.has('-4') && parsed.options.has('-6'))
      throw new InvalidInputError('-4 and -6 exclude each other');
    const family = parsed.options.has('-4') ? 4 : parsed.options.has('-6') ? 6 : undefined;
    const table = parseTable(optionValue(parsed, '--table'));
    const json = parsed.options.has('--json');
    const shownTable = table === 'all' ? undefined : table;
    const nl = await open({ netns: optionValue(parsed, '--netns') });
    // Streamed batch by batch: memory stays that of a batch, whatever the size of the table. The JSON is
    // byte for byte what JSON.stringify(list, null, 2) would print for ip -j's objects.
    const out = writer(output);
    try {
      let first = true;
      for await (const batch of nl.routeBatches({ family, table })) {
        if (batch.length === 0) continue;
        const text = json
          ? batch.map((r) => ipRouteJsonInList(r, shownTable)).join(',\n')
          : batch.map((r) => ipRouteText(r, shownTable)).join('\n');
        await out.write(`${first ? (json ? '[\n' : '') : json ? ',\n' : '\n'}${text}`);
        first = false;
      }
      await out.write(json ? (first ? '[]\n' : '\n]\n') : first ? '' : '\n');
      out.end();
    } finally {
      nl.close();
    }
  },
};
