#!/usr/bin/env node
// `hook EVENT`, as the scripts of install-hook run it: a bundle of its own (dist/cli/hook.cjs, chosen by main.js),
// without the other commands, so that a hook reads and deserializes less code cache.
import { hook } from './commands/hook.js';
import { runExecutable } from './run.js';

runExecutable({ hook: async () => hook });
