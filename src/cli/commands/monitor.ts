import { InvalidInputError } from '../../errors.js';
import { open, type WatchEvent, type WatchEventType } from '../../netlink/index.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { formatRoute, formatRule } from '../format.js';

const TYPES: readonly WatchEventType[] = ['route', 'link', 'address', 'rule'];

/** One event as a line, in the manner of `ip monitor`: deletions start with "Deleted". */
export function formatEvent(e: WatchEvent): string {
  if (e.type === 'overrun') return 'overrun: events were lost; read the state again';
  const deleted = e.action === 'delete' ? 'Deleted ' : '';
  switch (e.type) {
    case 'route':
      return deleted + formatRoute(e.route);
    case 'link': {
      const { index, name, up, lowerUp, operstate, mtu } = e.link;
      const flags = [up ? 'UP' : 'DOWN', ...(lowerUp ? ['LOWER_UP'] : [])].join(',');
      return `${deleted}${index}: ${name}: <${flags}> mtu ${mtu} state ${operstate.toUpperCase()}`;
    }
    case 'address': {
      // The first of the two lines ip monitor prints (the second has the lifetimes).
      const { index, dev, family, local, prefixlen, scope, label } = e.address;
      const inet = family === 6 ? 'inet6' : 'inet';
      return `${deleted}${index}: ${dev}    ${inet} ${local}/${prefixlen} scope ${scope}${label ? ` ${label}` : ''}`;
    }
    case 'rule':
      return deleted + formatRule(e.rule);
  }
}

export const monitor: Command = {
  synopsis: 'redirect-gateway monitor [route|link|address|rule]... [--netns NAME] [--json]',
  help: `Prints changes as they happen, like \`ip monitor\`, until interrupted (SIGINT or SIGTERM: exit 0).
  route, link, address, rule   which changes (all by default)
  --netns NAME                 watch a named network namespace
  --json                       one JSON object per line: { type, action, route | link | address | rule }, or { type: 'overrun' }
"overrun" means changes were lost (the reader fell behind): read the state again. The kernel removes the
IPv4 routes of a device that goes down or loses its last address without reporting them: the link or
address change stands for them.`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    for (const p of parsed.positionals) {
      if (!TYPES.includes(p as WatchEventType)) {
        throw new InvalidInputError(`unknown event type ${JSON.stringify(p)} (route, link, address or rule)`);
      }
    }
    const events = parsed.positionals.length ? (parsed.positionals as WatchEventType[]) : [...TYPES];
    const json = parsed.options.has('--json');
    const nl = await open({ netns: optionValue(parsed, '--netns') });
    const stream = nl.watch({ events });
    const stop = () => stream.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const e of stream) {
        const line = json ? JSON.stringify(e) : formatEvent(e);
        if (output.write) await output.write(`${line}\n`);
        else output.out(line);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      stream.close();
      nl.close();
    }
  },
};
