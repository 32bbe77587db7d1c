import { join } from 'node:path';
import { InvalidInputError, RefusedError } from '../../errors.js';
import { checkRedirect } from '../../redirect/options.js';
import { checkStrategy } from '../../redirect/strategy-options.js';
import { confbaseOf, readTincFile } from '../../tinc/config.js';
import { cliCommand, hookScript, removeScripts, writeScripts } from '../../tinc/install.js';
import { expectPositionals, parseFamily, type Parsed } from '../args.js';
import { optionValue, type Command, type Output } from '../command.js';
import { STRATEGY_OPTIONS, strategyArgs, strategyFlags } from '../strategy-args.js';

const WHERE = { '--node': { value: true }, '--netname': { value: true }, '--confbase': { value: true } };

function where(parsed: Parsed): { node: string; confbase: string } {
  expectPositionals(parsed, 0, 0, '');
  const node = optionValue(parsed, '--node');
  if (!node || !/^\w+$/.test(node)) throw new InvalidInputError(`--node needs a tinc node name (letters, digits, _)`);
  const netname = optionValue(parsed, '--netname');
  const confbase = optionValue(parsed, '--confbase');
  if ((netname === undefined) === (confbase === undefined))
    throw new InvalidInputError('give either --netname or --confbase');
  if (netname !== undefined && !/^\w+$/.test(netname))
    throw new InvalidInputError(`invalid --netname: ${JSON.stringify(netname)}`);
  return { node, confbase: confbaseOf(netname, confbase) };
}

async function tincFile(path: string, what: string): Promise<Map<string, string[]>> {
  return readTincFile(path).catch((e) => {
    throw new RefusedError(`cannot read ${what} ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
}

/** The server must announce the default route, or tincd sends nothing but the VPN's own subnets to it. */
async function warnAboutSubnets(hostFile: string, families: (4 | 6)[], node: string, output: Output): Promise<void> {
  const host = await readTincFile(hostFile).catch(() => undefined);
  if (!host) {
    output.err(`warning: ${hostFile} not found: copy the server's host file there before starting tincd`);
    return;
  }
  const subnets = (host.get('subnet') ?? []).map((s) => s.split('#')[0].trim());
  for (const family of families) {
    const all = family === 4 ? '0.0.0.0/0' : '::/0';
    if (!subnets.includes(all)) {
      output.err(
        `warning: ${hostFile} has no "Subnet = ${all}": add it to hosts/${node} on the server and here, or tincd will not send other traffic to ${node}`,
      );
    }
  }
}

export const installHook: Command = {
  synopsis:
    'redirect-gateway install-hook --node NODE (--netname NET | --confbase DIR) [--gateway IP]... [--family 4|6|both] [--strategy halves|rules] [--mesh] [--force]',
  help: `Writes hosts/NODE-up and hosts/NODE-down so that tincd redirects all traffic through the VPN while NODE
(the server) is reachable, and restores the table when it is not. Reads tinc.conf: switch mode needs
--gateway (the server's address on the VPN). Warns when hosts/NODE lacks "Subnet = 0.0.0.0/0".
  --node NODE      the tinc node to route through
  --netname NET    the network (/etc/tinc/NET), or --confbase DIR
  --gateway IP     switch style: the VPN gateway's address (once per family)
  --family F       4 (default), 6 or both
  --strategy S, --table N, --priority N   passed on to hook up (see up --help)
  --mesh           also write host-up/host-down, which keep other nodes' real addresses off the VPN
  --force          replace scripts of someone else's at those paths`,
  options: {
    ...WHERE,
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    ...STRATEGY_OPTIONS,
    '--mesh': {},
    '--force': {},
  },
  async run(parsed, output) {
    const { node, confbase } = where(parsed);
    const family = parseFamily(optionValue(parsed, '--family'));
    const gateways = parsed.options.get('--gateway') ?? [];
    const redirect = checkRedirect(family, gateways);
    checkStrategy(strategyArgs(parsed));
    const conf = await tincFile(join(confbase, 'tinc.conf'), 'tinc configuration');
    const mode = (conf.get('mode')?.[0] ?? 'router').toLowerCase();
    if (mode !== 'router' && gateways.length === 0) {
      throw new RefusedError(
        `tinc.conf says Mode = ${mode}: the VPN then carries Ethernet frames and has no routes of its own, so the redirect must go via the server's address on the VPN; give it with --gateway IP`,
      );
    }
    await warnAboutSubnets(join(confbase, 'hosts', node), redirect.families, node, output);
    const command = await cliCommand();
    const upArgs = [
      ...gateways.flatMap((g) => ['--gateway', g]),
      ...(family ? ['--family', String(family)] : []),
      ...strategyFlags(parsed),
    ];
    const scripts = [
      hookScript(join(confbase, 'hosts', `${node}-up`), command, 'up', upArgs),
      hookScript(join(confbase, 'hosts', `${node}-down`), command, 'down', []),
    ];
    if (parsed.options.has('--mesh')) {
      scripts.push(
        hookScript(join(confbase, 'host-up'), command, 'host-up', []),
        hookScript(join(confbase, 'host-down'), command, 'host-down', []),
      );
    }
    const written = await writeScripts(scripts, parsed.options.has('--force'));
    output.out(written.length ? written.map((p) => `wrote ${p}`).join('\n') : 'the scripts are already installed');
  },
};

export const uninstallHook: Command = {
  synopsis: 'redirect-gateway uninstall-hook --node NODE (--netname NET | --confbase DIR)',
  help: `Removes the scripts install-hook wrote (hosts/NODE-up, hosts/NODE-down, host-up, host-down); scripts of
anyone else's stay.`,
  options: WHERE,
  async run(parsed, output) {
    const { node, confbase } = where(parsed);
    const removed = await removeScripts([
      join(confbase, 'hosts', `${node}-up`),
      join(confbase, 'hosts', `${node}-down`),
      join(confbase, 'host-up'),
      join(confbase, 'host-down'),
    ]);
    output.out(removed.length ? removed.map((p) => `removed ${p}`).join('\n') : 'no scripts of ours were installed');
  },
};
