import { followerOf, status as redirectStatus, type FollowerInfo, type RedirectStatus } from '../../redirect/index.js';
import { brokenScripts } from '../../tinc/index.js';
import { expectPositionals } from '../args.js';
import { JSON_OPTION, NETNS_OPTION, optionValue, type Command } from '../command.js';
import { formatRoute, formatRule, toJson } from '../format.js';

/** Exit codes a script can use (3, not running, as an LSB init script's status says it). */
const EXIT_HEALTHY = 0;
const EXIT_PROBLEMS = 1;
const EXIT_NOT_ACTIVE = 3;

function leakProtection(s: RedirectStatus): string {
  const what = [
    s.killSwitch ? 'kill switch' : '',
    s.blockIpv6 ? 'IPv6 blocked' : '',
    s.lockdown ? `lockdown (LAN ${s.lockdown.lan})` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return what ? `, ${what}` : '';
}

/** What the lockdown lets through of the LAN, by its policy. */
const LAN_LET_THROUGH = { allow: 'the LAN', private: 'the private LAN', block: "the LAN's gateway" };

/** What refuses the traffic the VPN does not carry while a redirect is not active: the kill switch, the lockdown. */
function refusals(s: RedirectStatus): string {
  const what = [
    s.killSwitch && s.blocked.length ? `the kill switch refuses IPv${s.blocked.join(' and IPv')}` : '',
    s.lockdown?.refusing ? `the lockdown refuses all but tinc's path and ${LAN_LET_THROUGH[s.lockdown.lan]}` : '',
  ].filter(Boolean);
  return what.length ? ` (${what.join('; ')})` : '';
}

function describe(s: RedirectStatus & { follower: FollowerInfo | null }): string {
  const style = s.gateways.length ? `switch style via ${s.gateways.join(', ')}` : 'router style';
  const head = s.active
    ? `${s.iface}: active, ${style}, IPv${s.families.join(' and IPv')}${s.remote ? `, server ${s.remote}` : ''}${leakProtection(s)}`
    : `${s.iface}: not active${refusals(s)}`;
  const follower = `  follower: ${s.follower ? `pid ${s.follower.pid}` : 'none running'}`;
  // It outlives tincd (tinc-down holds it), so the one way out is said where it is seen.
  const killSwitch = s.killSwitch ? [`  kill switch: holds until \`redirect-gateway down ${s.iface}\` lifts it`] : [];
  const strategy = s.strategy
    ? [`  strategy rules: table ${s.table}, priorities ${s.priority}-${s.priority! + 3}`]
    : [];
  const rules = (s.rules ?? []).map((r) => `  rule ${formatRule(r)}`);
  const lockdown = s.lockdown
    ? [
        '  lockdown: table inet redirect_gateway_lockdown, chains output and forward, until `down`:',
        ...s.lockdown.rules.map((r) => `    ${r}`),
        ...s.lockdown.routes.map((r) => `  lockdown's LAN route ${r}`),
      ]
    : [];
  return [
    head,
    ...killSwitch,
    follower,
    ...strategy,
    ...rules,
    ...lockdown,
    ...s.routes.map((r) => `  ${formatRoute(r)}`),
    ...(s.dns
      ? [`  dns: ${s.dns.servers.join(', ')} for ${s.dns.domains.join(', ') || 'every name'} (${s.dns.via})`]
      : []),
    ...s.problems.map((p) => `  problem: ${p}`),
  ].join('\n');
}

/** 1 when any problem was found, else 3 when a redirect is not active (or there is none), else 0. */
function exitCode(list: RedirectStatus[]): number {
  if (list.some((s) => s.problems.length)) return EXIT_PROBLEMS;
  return list.length && list.every((s) => s.active) ? EXIT_HEALTHY : EXIT_NOT_ACTIVE;
}

export const status: Command = {
  synopsis: 'redirect-gateway status [IFACE] [--netns NAME] [--json]',
  help: `Reports each redirect (or the one through IFACE) from the kernel's routes: whether it is active, the
server, the gateway, the routes it owns, the leak protection, its follower (\`up --follow\`), and problems found
(among them a script of install-hook's in /etc/tinc/NET for the interface whose program is gone).
Exits 0 when every redirect is active and healthy, 1 when problems were found (an interface that does not
exist and has no redirect is one), 3 when a redirect is not active (or none is).
  --netns NAME   look inside a named network namespace
  --json         print JSON`,
  options: { ...NETNS_OPTION, ...JSON_OPTION },
  async run(parsed, output) {
    const [iface] = expectPositionals(parsed, 0, 1, '');
    const options = { netns: optionValue(parsed, '--netns') };
    const found =
      iface === undefined ? await redirectStatus(undefined, options) : [await redirectStatus(iface, options)];
    const list = await Promise.all(
      found.map(async (s) => ({
        ...s,
        problems: [...s.problems, ...(await brokenScripts(s.iface))],
        follower: (await followerOf(s.iface, options)) ?? null,
      })),
    );
    if (parsed.options.has('--json')) output.out(toJson(iface === undefined ? list : list[0]));
    else output.out(list.length ? list.map(describe).join('\n') : 'no redirect is active');
    return exitCode(list);
  },
};
