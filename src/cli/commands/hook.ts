import { InvalidInputError, RefusedError } from '../../errors.js';
import {
  describeIntent,
  endFollower,
  intend,
  type Fulfilled,
  type Intended,
  type Intent,
  type IntentOptions,
} from '../../redirect/index.js';
import {
  bringUp,
  parseVpnAddresses,
  readHookEnv,
  removeAddresses,
  tincdAncestor,
  type HookEnv,
  type HookEvent,
} from '../../tinc/index.js';
import { expectPositionals, parseFamily } from '../args.js';
import { NETNS_OPTION, optionValue, type Command } from '../command.js';
import { describeFollower, ensureFollower } from '../follower-spawn.js';
import { DNS_OPTIONS, DNS_OPTIONS_HELP, dnsArgs } from '../dns-options.js';
import { LEAK_OPTIONS, LEAK_OPTIONS_HELP, leakOptions } from '../leak-options.js';
import { describeError } from '../format.js';
import { resultLines, STRATEGY_HELP, STRATEGY_OPTIONS, strategyArgs } from '../strategy-args.js';
import { logError, logInfo } from '../syslog.js';

/** tincd moves no packets while its script runs, and waits for it without a limit: ours has one. */
const DEADLINE_MS = 800;
const KERNEL_TIMEOUT_MS = 300;
const EVENTS: HookEvent[] = ['up', 'down', 'host-up', 'host-down', 'tinc-up', 'tinc-down'];

/** What tincd said, as the change it asks for (none for a tinc-up that arms nothing). */
function intentOf(
  event: HookEvent,
  hook: HookEnv,
  remote: string | undefined,
  options: IntentOptions,
): Intent | undefined {
  const iface = hook.iface;
  switch (event) {
    case 'up':
      return {
        change: 'up',
        iface,
        remote: hook.remote!,
        options: { ...options, serverPort: options.serverPort ?? hook.remotePort },
      };
    case 'down':
    case 'tinc-down':
      return { change: 'suspend', iface };
    case 'host-up':
      return { change: 'peer', iface, node: hook.node!, address: hook.remote! };
    case 'host-down':
      return { change: 'peer', iface, node: hook.node!, address: null };
    case 'tinc-up':
      return remote === undefined ? undefined : { change: 'arm', iface, remote, options };
  }
}

/** Our intent's result lines (its error thrown), after those of the intents earlier hooks left. */
function linesOf(done: Fulfilled[], seq: string): string[] {
  const lines = done
    .filter((f) => f.seq !== seq)
    .flatMap(({ intent, result, error, superseded }) => {
      const what = `left by an earlier hook: ${describeIntent(intent)}`;
      if (superseded) return [`${what}: superseded by a newer event`];
      if (error !== undefined) return [`${what}: failed: ${describeError(error)}`];
      return resultLines(result!).map((line) => `${what}: ${line}`);
    });
  const own = done.find((f) => f.seq === seq);
  if (own?.error !== undefined) throw own.error;
  return [...lines, ...(own?.result ? resultLines(own.result) : own ? ['superseded by a newer event'] : [])];
}

/**
 * What the event did, one line per change. What tincd said is recorded first (`intend`): given up at the deadline,
 * it is left in `held` for whoever takes the namespace's lock next.
 */
async function act(
  event: HookEvent,
  args: {
    gateway?: string[];
    family?: 4 | 6 | 'both';
    netns?: string;
    address: string[];
    remote?: string;
  } & ReturnType<typeof strategyArgs> &
    ReturnType<typeof leakOptions> &
    ReturnType<typeof dnsArgs>,
  env: NodeJS.ProcessEnv,
  held: { intended?: Intended },
): Promise<string[]> {
  const hook = readHookEnv(env, event);
  const common = { netns: args.netns, timeoutMs: KERNEL_TIMEOUT_MS };
  const addresses = parseVpnAddresses(args.address);
  if (addresses.length && event !== 'tinc-up' && event !== 'tinc-down')
    throw new InvalidInputError('--address is for the tinc-up and tinc-down events');
  // What tinc-up arms: a kill switch, a lockdown, or both.
  const armed = args.killSwitch === true || args.lockdown === true;
  if (args.remote !== undefined && !(event === 'tinc-up' && armed))
    throw new InvalidInputError('--remote is for tinc-up --kill-switch or --lockdown');
  if (event === 'tinc-up' && !addresses.length && !armed)
    throw new InvalidInputError("tinc-up needs the interface's --address CIDR (or --kill-switch, --lockdown)");
  if (event === 'tinc-up' && armed && args.remote === undefined)
    throw new InvalidInputError("tinc-up --kill-switch or --lockdown needs the server's --remote IP");
  const options: IntentOptions = {
    family: args.family,
    killSwitch: args.killSwitch,
    blockIpv6: args.blockIpv6,
    strategy: args.strategy,
    table: args.table,
    priority: args.priority,
    gateway: [...(args.gateway ?? []), ...hook.gateways],
    lockdown: args.lockdown,
    lan: args.lan,
    serverPort: args.serverPort,
    dns: args.dns,
  };
  const intent = intentOf(event, hook, args.remote, options);
  const intended = intent && (held.intended = await intend(intent, common));
  const done = async () => (intended ? linesOf(await intended.fulfil(), intended.seq) : []);
  switch (event) {
    case 'tinc-up': {
      // Armed before tinc first reaches its server: nothing goes out in clear from tincd's start on.
      const lines = addresses.length ? await bringUp(hook.iface, addresses, common) : [];
      return [...lines, ...(await done())];
    }
    case 'tinc-down': {
      // tincd stops (or restarts, which looks the same here): a kill switch holds, only `redirect-gateway down`
      // lifts it; without one the redirect ends. The follower ends either way: nothing is redirected to follow.
      const follower = await endFollower(hook.iface, common);
      return [
        ...(follower ? [`follower: pid ${follower} ended`] : []),
        ...(await done()),
        ...(await removeAddresses(hook.iface, addresses, common)),
      ];
    }
    default:
      return done();
  }
}

export const hook: Command = {
  synopsis:
    'redirect-gateway hook up|down|host-up|host-down|tinc-up|tinc-down [--gateway IP]... [--family 4|6|both] [--strategy halves|rules [--table N] [--priority N]] [--kill-switch] [--block-ipv6] [--lockdown [--lan allow|private|block] [--server-port N]] [--dns IP]... [--dns-domain DOMAIN]... [--address CIDR]... [--remote IP] [--netns NAME] [--follow [--handoff DIR]]',
  help: `Runs as tinc's hosts/NODE-up and hosts/NODE-down (or host-up/host-down with --mesh), reading INTERFACE,
REMOTEADDRESS, NODE and VPN_GATEWAY from tincd's environment. A symbolic link named NODE-up or NODE-down to
redirect-gateway does the same. As tinc-up, puts each --address on INTERFACE and sets it up, and with
--kill-switch or --lockdown arms them (before tinc first reaches the server at --remote); as tinc-down, removes
those addresses and the redirect on INTERFACE, but a kill switch or a lockdown holds. Logs every action to syslog and stderr, and gives up
after ${DEADLINE_MS} ms: what tincd said is then left for the next to take the namespace's lock (\`status\` shows it).
With a kill switch, down (tinc lost the server) and tinc-down (tincd stops or restarts) remove only the
half-routes: traffic stays refused, and tinc's own path to the server open, until tinc is back (up) or the user
lifts it with \`redirect-gateway down INTERFACE\`.
  --gateway IP   switch style: the VPN gateway's address (VPN_GATEWAY in the environment works too)
  --family F     4 (default), 6 or both
${STRATEGY_HELP}
${LEAK_OPTIONS_HELP}
${DNS_OPTIONS_HELP}
  --address CIDR tinc-up/tinc-down: the node's VPN address and the VPN's prefix length (172.16.1.2/16)
  --remote IP    tinc-up --kill-switch: the server's real address, which tinc may still reach
  --netns NAME   work inside a named network namespace
  --follow       up: keep the redirect right while the network changes (\`redirect-gateway follow\`, detached,
                 one per interface, reused when it runs). down (SERVER-down, also while tinc reconnects) leaves
                 it running: it keeps nothing while the redirect is down, and the next up finds it. Only
                 \`redirect-gateway down\` and tinc-down end it.
  --handoff DIR  up --follow: the follower also takes in the peers host-up/host-down hand over there`,
  options: {
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    ...STRATEGY_OPTIONS,
    ...LEAK_OPTIONS,
    ...DNS_OPTIONS,
    '--address': { value: true, repeat: true },
    '--remote': { value: true },
    '--follow': {},
    '--handoff': { value: true },
    ...NETNS_OPTION,
  },
  async run(parsed, output, env) {
    const [event] = expectPositionals(
      parsed,
      1,
      1,
      'the event (up, down, host-up, host-down, tinc-up or tinc-down)',
    ) as [HookEvent];
    if (!EVENTS.includes(event)) throw new InvalidInputError(`unknown event ${JSON.stringify(event)}`);
    if (parsed.options.has('--handoff') && !(event === 'up' && parsed.options.has('--follow')))
      throw new InvalidInputError('--handoff is for up --follow');
    const args = {
      gateway: parsed.options.get('--gateway'),
      family: parseFamily(optionValue(parsed, '--family')),
      netns: optionValue(parsed, '--netns'),
      address: parsed.options.get('--address') ?? [],
      remote: optionValue(parsed, '--remote'),
      ...leakOptions(parsed),
      ...dnsArgs(parsed),
      ...strategyArgs(parsed),
    };
    const held: { intended?: Intended } = {};
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RefusedError(
              `gave up after ${DEADLINE_MS} ms${held.intended ? ": left for the next to take the namespace's lock" : ''}; see "redirect-gateway status"`,
            ),
          ),
        DEADLINE_MS,
      );
      timer.unref();
    });
    const what = `${event} ${env.INTERFACE ?? ''}${env.NODE ? ` (node ${env.NODE})` : ''}`;
    try {
      const done = await Promise.race([act(event, args, env, held), deadline]);
      const lines = done.length ? done : ['nothing to change'];
      if (event === 'up' && parsed.options.has('--follow')) {
        const follower = await ensureFollower(env.INTERFACE!, {
          netns: args.netns,
          tincd: tincdAncestor(),
          handoff: optionValue(parsed, '--handoff'),
        });
        lines.push(describeFollower(follower));
      }
      for (const line of lines) {
        logInfo(`${what}: ${line}`);
        output.out(`${what}: ${line}`);
      }
    } catch (e) {
      logError(`${what}: failed: ${describeError(e)}`);
      throw e;
    } finally {
      clearTimeout(timer);
      held.intended?.leave();
    }
  },
};
