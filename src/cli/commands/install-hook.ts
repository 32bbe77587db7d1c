import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAddress } from '../../address.js';
import { InvalidInputError, RefusedError } from '../../errors.js';
import { checkDns } from '../../dns/index.js';
import { checkLockdown, checkRedirect, checkStrategy, type LanPolicy } from '../../redirect/index.js';
import {
  addSubnetLines,
  checkScripts,
  cliCommand,
  clientTincScripts,
  confbaseOf,
  expectSafeDirectory,
  fragileLocations,
  goneExecutables,
  handoffDir,
  handoffScript,
  hookScript,
  isOurs,
  missingSubnetLines,
  parseVpnAddresses,
  readServerConfig,
  readTincFile,
  removeScripts,
  serverEndpoint,
  serverTincScripts,
  writeScripts,
  type HookScript,
  type VpnAddress,
  type Written,
} from '../../tinc/index.js';
import { expectPositionals, parseFamily, type Parsed } from '../args.js';
import { optionValue, type Command, type Output } from '../command.js';
import { DNS_OPTIONS, dnsArgs, dnsFlags } from '../dns-options.js';
import { STRATEGY_OPTIONS, strategyArgs, strategyFlags } from '../strategy-args.js';

const WHERE = {
  '--node': { value: true },
  '--server': {},
  '--netname': { value: true },
  '--confbase': { value: true },
};
/** The redirect's options that install-hook passes on to NODE-up's `hook up` (flags, and those with a value). */
const UP_FLAGS = ['--kill-switch', '--block-ipv6', '--lockdown', '--follow'];
const NODE_NAME = /^\w+$/;

/** The node to route through (--node), or with --server none: the server's scripts are its own. */
function where(parsed: Parsed): { node?: string; confbase: string } {
  expectPositionals(parsed, 0, 0, '');
  const node = optionValue(parsed, '--node');
  if (parsed.options.has('--server')) {
    if (node !== undefined) throw new InvalidInputError("--server writes the server's own scripts: give no --node");
  } else if (!node || !NODE_NAME.test(node)) {
    throw new InvalidInputError(`--node needs a tinc node name (letters, digits, _), or --server`);
  }
  const netname = optionValue(parsed, '--netname');
  const confbase = optionValue(parsed, '--confbase');
  if ((netname === undefined) === (confbase === undefined))
    throw new InvalidInputError('give either --netname or --confbase');
  if (netname !== undefined && !/^\w+$/.test(netname))
    throw new InvalidInputError(`invalid --netname: ${JSON.stringify(netname)}`);
  return { node, confbase: confbaseOf(netname, confbase) };
}

/** tinc.conf with conf.d/*.conf, as tincd reads them. */
async function serverConfig(confbase: string): Promise<Map<string, string[]>> {
  return readServerConfig(confbase).catch((e) => {
    const why = e instanceof RefusedError ? e.message : e.code === 'ENOENT' ? 'no such file' : e.message;
    throw new RefusedError(`cannot read tinc configuration ${join(confbase, 'tinc.conf')}: ${why}`, { cause: e });
  });
}

/**
 * The server must announce the default route, or tincd sends nothing but the VPN's own subnets to it: the lines
 * its host file lacks, which --add-subnet adds (after every other check) and which are otherwise a warning.
 */
async function subnetsToAdd(
  hostFile: string,
  families: (4 | 6)[],
  node: string,
  add: boolean,
  output: Output,
): Promise<string[]> {
  const missing = await missingSubnetLines(hostFile, families);
  if (!missing) {
    output.err(`warning: ${hostFile} not found: copy the server's host file there before starting tincd`);
    return [];
  }
  if (add) return missing;
  for (const line of missing) {
    output.err(
      `warning: ${hostFile} has no "${line}": add it to hosts/${node} on the server and here (or use --add-subnet), or tincd will not send other traffic to ${node}`,
    );
  }
  return [];
}

async function expectHostsDirectory(confbase: string): Promise<void> {
  const hosts = join(confbase, 'hosts');
  if (
    !(await stat(hosts).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new RefusedError(`${hosts} is not a directory: is ${confbase} a tinc configuration?`);
}

/** What install-hook is to write: the scripts, and the Subnet lines to add to the server's host file. */
interface Planned {
  scripts: HookScript[];
  hostFile: string;
  subnets: string[];
}

/** The server's own name, from tinc.conf's Name. */
function serverName(conf: Map<string, string[]>, confbase: string): string {
  const name = conf.get('name')?.[0];
  if (name === undefined) throw new RefusedError(`${join(confbase, 'tinc.conf')} has no Name`);
  if (!NODE_NAME.test(name)) {
    throw new RefusedError(
      `${join(confbase, 'tinc.conf')} says Name = ${JSON.stringify(name)}: not a node name install-hook can use (letters, digits, _)`,
    );
  }
  return name;
}

/**
 * The follower is started by default where a network manager could delete what the redirect depends on and only
 * the follower puts it back (the rules strategy's rules, the kill switch's refusing routes), and with --mesh, whose
 * host-up/host-down hand peers to it; --no-follow says not to (a mesh cannot do without it).
 */
function follows(parsed: Parsed): boolean {
  const has = (o: string) => parsed.options.has(o);
  if (has('--no-follow') && (has('--follow') || has('--mesh')))
    throw new InvalidInputError(`--no-follow cannot go with ${has('--mesh') ? '--mesh' : '--follow'}`);
  const byDefault = has('--kill-switch') || has('--mesh') || optionValue(parsed, '--strategy') === 'rules';
  return has('--follow') || (byDefault && !has('--no-follow'));
}

/** What NODE-up's `hook up` is to be given beside the gateways, family and DNS (tinc-up's arming takes it too). */
function passedOnToUp(parsed: Parsed): string[] {
  checkStrategy(strategyArgs(parsed));
  checkDns(dnsArgs(parsed).dns);
  const follow = follows(parsed);
  const given = (f: string) => (f === '--follow' ? follow : parsed.options.has(f));
  return [...UP_FLAGS.filter(given), ...strategyFlags(parsed)];
}

/**
 * `--lan` for `hook up --lockdown`, and `--server-port`, the port from hosts/SERVER, for the lockdown and the
 * rules strategy (the only port of the server's that they keep out of the VPN; tinc-up arms them before tincd
 * gives a REMOTEPORT); a warning for every Address that is a host name (TunnelCrack's ServerIP, CVE-2023-36673).
 */
async function lockdownUpArgs(parsed: Parsed, hostFile: string, output: Output): Promise<string[]> {
  const lan = optionValue(parsed, '--lan');
  const lockdown = parsed.options.has('--lockdown');
  checkLockdown({ lockdown, lan: lan as LanPolicy | undefined });
  if (!lockdown && optionValue(parsed, '--strategy') !== 'rules') return [];
  const endpoint = await serverEndpoint(hostFile);
  for (const name of lockdown ? (endpoint?.hostNames ?? []) : []) {
    output.err(
      `warning: ${hostFile} gives the server as "Address = ${name}", a host name. tincd looks it up in clear, outside the VPN, so whoever answers chooses the address that tinc's port is let through to (ServerIP, CVE-2023-36673; the lockdown lets nothing else through there); and under the lockdown DNS outside the VPN is refused, so tincd cannot look it up again to reconnect. Write the server's address instead.`,
    );
  }
  return [...(lan ? ['--lan', lan] : []), ...(endpoint?.port ? ['--server-port', String(endpoint.port)] : [])];
}

function expectServerOptions(parsed: Parsed, addresses: VpnAddress[]): void {
  const clientOnly = [
    '--gateway',
    '--family',
    '--mesh',
    '--lan',
    '--no-follow',
    ...Object.keys(STRATEGY_OPTIONS),
    ...Object.keys(DNS_OPTIONS),
    ...UP_FLAGS,
  ].filter((o) => parsed.options.has(o));
  if (clientOnly.length) throw new InvalidInputError(`${clientOnly[0]} is for a client (--node), not with --server`);
  if (!addresses.length) throw new InvalidInputError("--server needs the server's VPN --address (172.16.1.1/16)");
}

/** The server's tinc-up/tinc-down, and the default route its host file must announce. */
async function serverScripts(
  parsed: Parsed,
  confbase: string,
  conf: Map<string, string[]>,
  addresses: VpnAddress[],
  output: Output,
): Promise<Planned> {
  expectServerOptions(parsed, addresses);
  const name = serverName(conf, confbase);
  const hostFile = join(confbase, 'hosts', name);
  const families = [...new Set(addresses.map((a) => a.family))];
  const subnets = await subnetsToAdd(hostFile, families, name, parsed.options.has('--add-subnet'), output);
  return { scripts: serverTincScripts(confbase, await cliCommand(), addresses), hostFile, subnets };
}

export const installHook: Command = {
  synopsis:
    'redirect-gateway install-hook (--node NODE | --server) (--netname NET | --confbase DIR) [--address CIDR]... [--gateway IP]... [--family 4|6|both] [--kill-switch] [--block-ipv6] [--lockdown [--lan allow|private|block]] [--dns IP]... [--dns-domain DOMAIN]... [--strategy halves|rules [--table N] [--priority N]] [--follow | --no-follow] [--mesh] [--add-subnet] [--force]',
  help: `Writes hosts/NODE-up and hosts/NODE-down so that tincd redirects all traffic through the VPN while NODE
(the server) is reachable, and restores the table when it is not. With --address, also tinc-up (the address on
the VPN interface, the link up) and tinc-down (the redirect lifted, the address removed), so the configuration
holds no \`ip\` command. With --server, the server's own tinc-up (its --address, then \`serve\`: forwarding and
masquerading) and tinc-down (\`unserve\`, then the address removed). Reads tinc.conf and conf.d/*.conf: switch
mode needs --gateway (the server's address on the VPN). Warns when the server's host file lacks
"Subnet = 0.0.0.0/0" (and "::/0" for IPv6). To change options, run it again with all of them: the scripts it
wrote before are replaced, and those the new options do not need are removed. Never replaces a script of
someone else's without --force; says what to add to it. Refuses a configuration directory that anyone but
root can write.
  --node NODE      the tinc node to route through (the server: its host file must be there); or --server,
                   on the server itself
  --netname NET    the network (/etc/tinc/NET), or --confbase DIR
  --address CIDR   this node's VPN address with the VPN's prefix length (172.16.1.2/16); repeatable
  --gateway IP     switch style: the VPN gateway's address (once per family)
  --family F       4 (default), 6 or both
  --kill-switch    no traffic in clear but tinc's to the server (hosts/NODE's Address, an IP address), from
                   tincd's start until \`redirect-gateway down IFACE\`: also writes tinc-up, which arms it, and
                   tinc-down, which holds it (a stop and a restart of tincd look the same there)
  --block-ipv6, --dns IP, --dns-domain D, --strategy S, --table N, --priority N, --follow
                   passed on to \`hook up\` (see \`up --help\`)
  --no-follow      no follower, even where it is the default: with --kill-switch and --strategy rules a
                   follower is started, since network managers delete the routes and rules they rely on
  --lockdown, --lan POLICY   passed on to \`hook up\`, with hosts/NODE's Port as --server-port; like
                   --kill-switch, armed by tinc-up and held by tinc-down (hosts/NODE's Address must be an IP
                   address: a host name is looked up in clear, and whoever answers chooses the server)
  --mesh           also write host-up/host-down, which keep other nodes' real addresses off the VPN: they
                   hand each peer to the follower (always started) with shell builtins, no process per peer
  --add-subnet     add the missing Subnet line(s) to the server's host file instead of warning
  --force          replace scripts of someone else's at those paths`,
  options: {
    ...WHERE,
    '--address': { value: true, repeat: true },
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    '--kill-switch': {},
    '--block-ipv6': {},
    '--lockdown': {},
    '--lan': { value: true },
    ...DNS_OPTIONS,
    ...STRATEGY_OPTIONS,
    '--follow': {},
    '--no-follow': {},
    '--mesh': {},
    '--add-subnet': {},
    '--force': {},
  },
  async run(parsed, output) {
    const { node, confbase } = where(parsed);
    const addresses = parseVpnAddresses(parsed.options.get('--address') ?? []);
    const conf = await serverConfig(confbase);
    await expectHostsDirectory(confbase);
    for (const dir of [confbase, join(confbase, 'hosts')]) await expectSafeDirectory(dir);
    const planned = node
      ? await clientScripts(parsed, node, confbase, conf, addresses, output)
      : await serverScripts(parsed, confbase, conf, addresses, output);
    const force = parsed.options.has('--force');
    await checkScripts(planned.scripts, force); // before the host file changes: nothing half-done
    if (planned.subnets.length) {
      await addSubnetLines(planned.hostFile, planned.subnets);
      for (const line of planned.subnets) output.out(`added "${line}" to ${planned.hostFile}`);
    }
    const written = await writeScripts(planned.scripts, force);
    const unwanted = CONFBASE_SCRIPTS.map((p) => join(confbase, p)).filter(
      (p) => !planned.scripts.some((s) => s.path === p),
    );
    const removed = await removeScripts(unwanted);
    const lines = [...written.map(describeWritten), ...removed.map((p) => `removed ${p} (not wanted now)`)];
    output.out(lines.length ? lines.join('\n') : 'the scripts are already installed');
    for (const { path, where } of fragileLocations(await cliCommand())) {
      output.err(
        `warning: the scripts run ${path}, ${where}: tinc breaks if it moves or goes; install the package (npm install -g) and run install-hook again from there`,
      );
    }
  },
};

/** The scripts of a tinc configuration's own that install-hook may write (besides hosts/NODE-up and -down). */
const CONFBASE_SCRIPTS = ['tinc-up', 'tinc-down', 'host-up', 'host-down'];

function describeWritten(w: Written): string {
  if (w.replaced === undefined) return `wrote ${w.path}`;
  const gone = goneExecutables(w.replaced);
  return `replaced ${w.path}${gone.length ? ` (it ran ${gone.join(' and ')}, which is gone)` : ''}`;
}

/** The server's host file must be here, and must not be this node's own: else tincd never runs NODE-up. */
async function expectServerHost(node: string, confbase: string, conf: Map<string, string[]>): Promise<string> {
  if (conf.get('name')?.[0] === node) {
    throw new RefusedError(
      `--node ${node} is this node's own Name (tinc.conf): give the server's, the node to route through`,
    );
  }
  const hostFile = join(confbase, 'hosts', node);
  if (!(await stat(hostFile).catch(() => undefined))) {
    const known = (await readdir(join(confbase, 'hosts'))).filter((n) => NODE_NAME.test(n));
    throw new RefusedError(
      `${hostFile} does not exist: tincd would never run ${node}-up (the hosts there: ${known.join(', ') || 'none'}); copy the server's host file there first`,
    );
  }
  return hostFile;
}

/** hosts/NODE-up and -down (host-up/-down with --mesh), and tinc-up/tinc-down with --address or --kill-switch. */
async function clientScripts(
  parsed: Parsed,
  node: string,
  confbase: string,
  conf: Map<string, string[]>,
  addresses: VpnAddress[],
  output: Output,
): Promise<Planned> {
  const family = parseFamily(optionValue(parsed, '--family'));
  const gateways = parsed.options.get('--gateway') ?? [];
  const redirect = checkRedirect(family, gateways);
  const passed = passedOnToUp(parsed);
  const mode = (conf.get('mode') ?? []).map((m) => m.toLowerCase()).find((m) => m !== 'router');
  if (mode && gateways.length === 0) {
    throw new RefusedError(
      `tinc.conf (or conf.d) says Mode = ${mode}: the VPN then carries Ethernet frames and has no routes of its own, so the redirect must go via the server's address on the VPN; give it with --gateway IP`,
    );
  }
  const hostFile = await expectServerHost(node, confbase, conf);
  const subnets = await subnetsToAdd(hostFile, redirect.families, node, parsed.options.has('--add-subnet'), output);
  const command = await cliCommand();
  const mesh = parsed.options.has('--mesh');
  const lockdownArgs = await lockdownUpArgs(parsed, hostFile, output);
  const redirectArgs = [...gateways.flatMap((g) => ['--gateway', g]), ...(family ? ['--family', String(family)] : [])];
  const upArgs = [
    ...redirectArgs,
    ...passed,
    ...lockdownArgs,
    ...dnsFlags(parsed),
    ...(mesh ? ['--handoff', handoffDir(confbase)] : []),
  ];
  const scripts = [
    hookScript(join(confbase, 'hosts', `${node}-up`), command, 'up', upArgs),
    hookScript(join(confbase, 'hosts', `${node}-down`), command, 'down', []),
  ];
  if (mesh) {
    const dir = handoffDir(confbase);
    scripts.push(
      handoffScript(join(confbase, 'host-up'), command, 'host-up', dir),
      handoffScript(join(confbase, 'host-down'), command, 'host-down', dir),
    );
  }
  const armArgs =
    parsed.options.has('--kill-switch') || parsed.options.has('--lockdown')
      ? [
          ...redirectArgs,
          ...passed.filter((a) => a !== '--follow'),
          ...lockdownArgs,
          // The VPN's resolvers from the start: the LAN's, still in resolv.conf, would be asked in clear.
          ...dnsFlags(parsed),
          '--remote',
          await serverAddress(hostFile, node),
        ]
      : [];
  scripts.push(...clientTincScripts(confbase, command, addresses, armArgs));
  return { scripts, hostFile, subnets };
}

/**
 * The server's address that tinc-up arms a kill switch or a lockdown with, so that tinc itself may reach the
 * server: hosts/NODE's first Address, which must be an IP address, since they hold before tinc resolves any name
 * (and a name resolved in clear is what TunnelCrack's ServerIP attack forges).
 */
async function serverAddress(hostFile: string, node: string): Promise<string> {
  const conf = await readTincFile(hostFile).catch(() => new Map<string, string[]>());
  const address = conf.get('address')?.[0]?.split(/\s+/)[0];
  const why = `--kill-switch and --lockdown hold from tinc-up on, before tinc reaches ${node}, and let only tinc's own traffic to ${node}'s address through`;
  if (address === undefined) throw new RefusedError(`${why}: ${hostFile} must have its Address`);
  try {
    return parseAddress(address).text;
  } catch {
    throw new RefusedError(
      `${why}: ${hostFile} says Address = ${address}; give an IP address there, not a host name (looked up in clear, whoever answers would choose the server: ServerIP, CVE-2023-36673)`,
    );
  }
}

export const uninstallHook: Command = {
  synopsis: 'redirect-gateway uninstall-hook (--node NODE | --server) (--netname NET | --confbase DIR)',
  help: `Removes the scripts install-hook wrote: hosts/NODE-up and hosts/NODE-down, and with them host-up,
host-down, tinc-up and tinc-down where they are ours (with --server, tinc-up and tinc-down). Scripts of anyone
else's stay, even those that mention install-hook. Exits 1, removing nothing, when there is no script of ours
for NODE (a misspelt name) or none at all.`,
  options: WHERE,
  async run(parsed, output) {
    const { node, confbase } = where(parsed);
    const nodeScripts = node ? [`hosts/${node}-up`, `hosts/${node}-down`].map((p) => join(confbase, p)) : [];
    if (node && !(await Promise.all(nodeScripts.map(isOurs))).some(Boolean)) {
      throw new RefusedError(
        `no scripts of ours for node ${node} in ${join(confbase, 'hosts')} (ours are there for: ${(await installedNodes(confbase)).join(', ') || 'no node'}); nothing removed`,
      );
    }
    const removed = await removeScripts([...nodeScripts, ...CONFBASE_SCRIPTS.map((p) => join(confbase, p))]);
    if (!removed.length) throw new RefusedError(`no scripts of ours in ${confbase}; nothing removed`);
    output.out(removed.map((p) => `removed ${p}`).join('\n'));
  },
};

/** The nodes whose NODE-up of ours is in hosts/: what a misspelt --node was meant to be. */
async function installedNodes(confbase: string): Promise<string[]> {
  const names = await readdir(join(confbase, 'hosts')).catch(() => []);
  const ups = names.filter((n) => n.endsWith('-up'));
  const ours = await Promise.all(ups.map((n) => isOurs(join(confbase, 'hosts', n))));
  return ups.filter((_, i) => ours[i]).map((n) => n.slice(0, -3));
}
