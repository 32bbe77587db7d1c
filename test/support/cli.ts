// Running the CLI the way a user does: `node dist/cli/main.js ARGS`, as a process of its own.
import { join } from 'node:path';
import { runStatus, type RunOptions } from './exec.js';
import { REPO } from './package.js';

export const CLI = join(REPO, 'dist/cli/main.js');

export function cli(args: string[], options: RunOptions = {}) {
  return runStatus(process.execPath, [CLI, ...args], options);
}
