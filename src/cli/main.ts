#!/usr/bin/env node
// The executable: runs the command line and exits with its code.
import { basename } from 'node:path';
import { describeError } from './format.js';
import { runCli } from './run.js';

const io = {
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
  write: (text: string) =>
    new Promise<void>((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once('drain', resolve))),
  env: process.env,
};

// A reader that went away (`redirect-gateway routes | head`) wants no more: stop quietly, as ip does.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// Run as tinc's hosts/NODE-up (a symbolic link to us), the script's name is the command. tinc/ is loaded only for
// such a name: every other command starts without it.
async function commandLine(): Promise<string[]> {
  const script = basename(process.argv[1] ?? '');
  const event = /-(up|down)$/.test(script) ? (await import('../tinc/index.js')).eventOfScriptName(script) : undefined;
  return event ? ['hook', event, ...process.argv.slice(2)] : process.argv.slice(2);
}

// Exit as soon as what was printed is out (a pipe takes 64 KiB at a time): a hook that gave up must not wait
// for work it abandoned. (No top-level await: the executable is a script, scripts/bundle-cli.js.)
const flushed = (stream: NodeJS.WriteStream) => new Promise((resolve) => stream.write('', resolve));
void commandLine()
  .then((args) => runCli(args, io))
  .catch((e: unknown) => {
    io.err(`redirect-gateway: internal error: ${describeError(e)}`);
    return 1;
  })
  .then(async (code) => {
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  });
