#!/usr/bin/env node
// The executable: runs the command line and exits with its code.
import { runCli } from './run.js';

const io = {
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
  env: process.env,
};

process.exitCode = await runCli(process.argv.slice(2), io).catch((e: unknown) => {
  io.err(`redirect-gateway: internal error: ${e instanceof Error ? e.message : String(e)}`);
  return 1;
});
