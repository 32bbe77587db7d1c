#!/usr/bin/env node
// The executable: every command (dist/cli/bundle.cjs).
import { COMMANDS } from './commands/index.js';
import { runExecutable } from './run.js';

runExecutable(COMMANDS);
