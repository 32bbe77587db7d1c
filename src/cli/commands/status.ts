import { status as redirectStatus, type RedirectStatus } from '../../redirect/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { formatRoute, formatRule, toJson } from '../format.js';

function describe(s: RedirectStatus): string {
  const style = s.gateways.length ? `switch style via ${s.gateways.join(', ')}` : 'router style';
  const head = s.active
    ? `${s.iface}: active, ${style}, IPv${s.families.join(' and IPv')}${s.remote ? `, server ${s.remote}` : ''}`
    : `${s.iface}: not active`;
  const strategy = s.strategy
    ? [`  strategy rules: table ${s.table}, priorities ${s.priority}-${s.priority! + 3}`]
    : [];
  const rules = (s.rules ?? []).map((r) => `  rule ${formatRule(r)}`);
  return [
    head,
    ...strategy,
    ...rules,
    ...s.routes.map((r) => `  ${formatRoute(r)}`),
    ...s.problems.map((p) => `  problem: ${p}`),
  ].join('\n');
}

export const status: Command = {
  synopsis: 'redirect-gateway status [IFACE] [--netns NAME] [--json]',
  help: `Reports each redirect (or the one through IFACE) from the kernel's routes: whether it is active, the
server, the gateway, the routes it owns, and problems found.
  --netns NAME   look inside a named network namespace
  --json         print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 0, 1, '');
    const options = { netns: optionValue(parsed, '--netns') };
    const list =
      iface === undefined ? await redirectStatus(undefined, options) : [await redirectStatus(iface, options)];
    if (parsed.options.has('--json')) output.out(toJson(iface === undefined ? list : list[0]));
    else output.out(list.length ? list.map(describe).join('\n') : 'no redirect is active');
  },
};
