import { InvalidInputError, RefusedError } from '../../errors.js';
import { addPeer, down, removePeer, up, type RedirectResult } from '../../redirect/index.js';
import { readHookEnv, type HookEvent } from '../../tinc/hook-env.js';
import { expectPositionals, parseFamily } from '../args.js';
import { NETNS_OPTION, optionValue, type Command } from '../command.js';
import { describeError } from '../format.js';
import { resultLines, STRATEGY_HELP, STRATEGY_OPTIONS, strategyArgs } from '../strategy-args.js';
import { logError, logInfo } from '../syslog.js';

/** tincd moves no packets while its script runs, and waits for it without a limit: ours has one. */
const DEADLINE_MS = 800;
const KERNEL_TIMEOUT_MS = 300;
const EVENTS: HookEvent[] = ['up', 'down', 'host-up', 'host-down'];

function act(
  event: HookEvent,
  args: { gateway?: string[]; family?: 4 | 6 | 'both'; netns?: string } & ReturnType<typeof strategyArgs>,
  env: NodeJS.ProcessEnv,
): Promise<RedirectResult> {
  const hook = readHookEnv(env, event);
  const common = { netns: args.netns, timeoutMs: KERNEL_TIMEOUT_MS };
  switch (event) {
    case 'up':
      return up(hook.iface, hook.remote!, {
        ...common,
        family: args.family,
        strategy: args.strategy,
        table: args.table,
        priority: args.priority,
        gateway: [...(args.gateway ?? []), ...hook.gateways],
      });
    case 'down':
      return down(hook.iface, common);
    case 'host-up':
      return addPeer(hook.iface, hook.node!, hook.remote!, common);
    case 'host-down':
      return removePeer(hook.iface, hook.node!, common);
  }
}

export const hook: Command = {
  synopsis:
    'redirect-gateway hook up|down|host-up|host-down [--gateway IP]... [--family 4|6|both] [--strategy halves|rules] [--netns NAME]',
  help: `Runs as tinc's hosts/NODE-up and hosts/NODE-down (or host-up/host-down with --mesh), reading INTERFACE,
REMOTEADDRESS, NODE and VPN_GATEWAY from tincd's environment. A symbolic link named NODE-up or NODE-down to
redirect-gateway does the same. Logs every action to syslog and stderr, and gives up after ${DEADLINE_MS} ms.
  --gateway IP   switch style: the VPN gateway's address (VPN_GATEWAY in the environment works too)
  --family F     4 (default), 6 or both
${STRATEGY_HELP}
  --netns NAME   work inside a named network namespace`,
  options: {
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    ...STRATEGY_OPTIONS,
    ...NETNS_OPTION,
  },
  async run(parsed, output, env) {
    const [event] = expectPositionals(parsed, 1, 1, 'the event (up, down, host-up or host-down)') as [HookEvent];
    if (!EVENTS.includes(event)) throw new InvalidInputError(`unknown event ${JSON.stringify(event)}`);
    const args = {
      gateway: parsed.options.get('--gateway'),
      family: parseFamily(optionValue(parsed, '--family')),
      netns: optionValue(parsed, '--netns'),
      ...strategyArgs(parsed),
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RefusedError(`gave up after ${DEADLINE_MS} ms; see "redirect-gateway status"`)),
        DEADLINE_MS,
      );
      timer.unref();
    });
    const what = `${event} ${env.INTERFACE ?? ''}${env.NODE ? ` (node ${env.NODE})` : ''}`;
    try {
      const result = await Promise.race([act(event, args, env), deadline]);
      const lines = resultLines(result).length ? resultLines(result) : ['nothing to change'];
      for (const line of lines) {
        logInfo(`${what}: ${line}`);
        output.out(`${what}: ${line}`);
      }
    } catch (e) {
      logError(`${what}: failed: ${describeError(e)}`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  },
};
