// Every command of the executable (src/cli/main.ts); the hook's own bundle has only `hook` (src/cli/hook-main.ts).
import type { Commands } from '../run.js';

/** Each command is loaded only when it runs: the hook's start-up pays for nothing else. */
export const COMMANDS: Commands = {
  routes: async () => (await import('./routes.js')).routes,
  rules: async () => (await import('./rules.js')).rules,
  up: async () => (await import('./up.js')).up,
  down: async () => (await import('./down.js')).down,
  status: async () => (await import('./status.js')).status,
  hook: async () => (await import('./hook.js')).hook,
  'install-hook': async () => (await import('./install-hook.js')).installHook,
  'uninstall-hook': async () => (await import('./install-hook.js')).uninstallHook,
  demo: async () => (await import('./demo.js')).demo,
  monitor: async () => (await import('./monitor.js')).monitor,
  follow: async () => (await import('./follow.js')).follow,
  serve: async () => (await import('./serve.js')).serve,
  unserve: async () => (await import('./serve.js')).unserve,
};
