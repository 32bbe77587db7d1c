// The command line: as a function (`runCli`: arguments and environment in, text and an exit code out, what the
// tests call), and as the process (`runExecutable`: the function with the process's arguments, standard output
// and error, and its exit code). Nothing else prints or exits. src/cli/main.ts runs it with every command,
// src/cli/hook-main.ts with the hook alone.
import { basename } from 'node:path';
import { InvalidInputError, NetlinkError, RefusedError } from '../errors.js';
import { parseArgs } from './args.js';
import type { Command } from './command.js';
import { describeError, oneLine } from './format.js';
import { hasNetAdmin, NEEDS_ROOT, needsNetAdmin } from './privilege.js';
import { StdOutput } from './std-output.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The commands by name, each loaded only when it runs. */
export type Commands = Record<string, () => Promise<Command>>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Raw output with the reader's backpressure (see Output.write); without it, long output is gathered. */
  write?(text: string): Promise<void>;
  env: NodeJS.ProcessEnv;
}

const USAGE = `usage: redirect-gateway COMMAND [options]   (redirect-gateway COMMAND --help for more)
  up IFACE REMOTE    send all traffic through IFACE, keeping the path to the VPN server REMOTE
  down IFACE         remove the redirect through IFACE
  status [IFACE]     show the redirects and their problems
  follow IFACE       keep the redirect through IFACE right while the network changes (foreground)
  routes             print the routing table
  monitor            print route, link, address and rule changes as they happen (like ip monitor)
  rules              print the policy routing rules (ip rule show)
  serve IFACE        the VPN server's side: forwarding on, the clients masqueraded out of the uplink
  unserve IFACE      undo serve exactly (our nf_tables table, forwarding as it was)
  install-hook       make tinc run the redirect when a node is reachable (uninstall-hook undoes it)
  hook EVENT         what the installed tinc scripts run
  demo               the tinc documentation's example, live, in a throwaway sandbox (npm start; root)`;

/** A file operation refused for want of permission (EACCES, EPERM), or an error made of one. */
function deniedByTheSystem(e: unknown): boolean {
  const code = (x: unknown) => (x as NodeJS.ErrnoException | undefined)?.code;
  return [code(e), code((e as Error | undefined)?.cause)].some((c) => c === 'EACCES' || c === 'EPERM');
}

export async function runCli(args: string[], io: Io, commands: Commands): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return EXIT_OK;
  }
  const load = name === undefined ? undefined : Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    io.err(
      `redirect-gateway: ${name === undefined ? 'missing command' : `unknown command ${oneLine(JSON.stringify(name))}`} (see redirect-gateway --help)`,
    );
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${command.synopsis}\n${command.help}`);
    return EXIT_OK;
  }
  if (needsNetAdmin(name!, rest) && !hasNetAdmin()) {
    io.err(`redirect-gateway: ${name}: ${NEEDS_ROOT}`);
    return EXIT_FAILED;
  }
  try {
    return (await command.run(parseArgs(rest, command.options), io, io.env)) ?? EXIT_OK;
  } catch (e) {
    if (e instanceof InvalidInputError) {
      io.err(`redirect-gateway: ${name}: ${describeError(e)} (usage: ${command.synopsis})`);
      return EXIT_USAGE;
    }
    const denied = !(e instanceof NetlinkError) && deniedByTheSystem(e);
    const known = e instanceof NetlinkError || e instanceof RefusedError || denied;
    io.err(
      `redirect-gateway: ${name}: ${known ? '' : 'internal error: '}${describeError(e)}${denied ? ` (${NEEDS_ROOT})` : ''}`,
    );
    return EXIT_FAILED;
  }
}

export function runExecutable(commands: Commands): void {
  // A reader that went away (`redirect-gateway routes | head`) wants no more: stop quietly, as ip does.
  const stdout = new StdOutput(1, () =>
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    }),
  );
  const stderr = new StdOutput(2, () => process.stderr);

  const io = {
    out: (text: string) => stdout.line(text),
    err: (text: string) => stderr.line(text),
    write: (text: string) => stdout.write(text),
    env: process.env,
  };

  // Run as tinc's hosts/NODE-up (a symbolic link to us), the script's name is the command. tinc/ is loaded only for
  // such a name: every other command starts without it.
  async function commandLine(): Promise<string[]> {
    const script = basename(process.argv[1] ?? '');
    const event = /-(up|down)$/.test(script) ? (await import('../tinc/index.js')).eventOfScriptName(script) : undefined;
    return event ? ['hook', event, ...process.argv.slice(2)] : process.argv.slice(2);
  }

  // Exit as soon as what was printed is out: a hook that gave up must not wait for work it abandoned. (No
  // top-level await: the executable is a script, scripts/bundle-cli.js.)
  void commandLine()
    .then((args) => runCli(args, io, commands))
    .catch((e: unknown) => {
      io.err(`redirect-gateway: internal error: ${describeError(e)}`);
      return 1;
    })
    .then(async (code) => {
      await Promise.all([stdout.flushed(), stderr.flushed()]);
      process.exit(code);
    });
}
