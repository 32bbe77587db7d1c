// The executable's process: the command line run (src/cli/run.ts) with its standard output and error, and its exit
// code. src/cli/main.ts runs it with every command, src/cli/hook-main.ts with the hook alone.
import { basename } from 'node:path';
import { describeError } from './format.js';
import { runCli, type Commands } from './run.js';
import { StdOutput } from './std-output.js';

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
