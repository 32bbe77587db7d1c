// tinc-up and tinc-down as install-hook writes them: our executable with absolute paths, no `ip` command.
//   client: tinc-up   hook tinc-up [--address A...] [--kill-switch|--lockdown --remote IP ...]   (arms them)
//           tinc-down hook tinc-down [--address A...]   (ends the redirect; a kill switch holds until `down`)
//   server: tinc-up   hook tinc-up --address A... || exit; serve "$INTERFACE"
//           tinc-down unserve "$INTERFACE"; hook tinc-down --address A...
import { join } from 'node:path';
import { MARKER, shellQuote, type HookScript } from './install.js';
import type { VpnAddress } from './vpn-addresses.js';

/** A word the shell expands: tincd's INTERFACE. */
const INTERFACE = Symbol('"$INTERFACE"');
type Word = string | typeof INTERFACE;

function commandLine(command: string[], words: Word[]): string {
  return [...command, ...words].map((w) => (w === INTERFACE ? '"$INTERFACE"' : shellQuote(w))).join(' ');
}

/** A script of one or more commands: each but the last ends the script when it fails, the last is exec'd. */
function script(path: string, lines: string[], stopOnFailure: boolean): HookScript {
  const body = lines.map((l, i) => (i === lines.length - 1 ? `exec ${l}` : stopOnFailure ? `${l} || exit` : l));
  return { path, content: `#!/bin/sh\n${MARKER}\n${body.join('\n')}\n`, lines };
}

const addressArgs = (addresses: VpnAddress[]) => addresses.flatMap((a) => ['--address', a.cidr]);

/**
 * `armArgs`: with a kill switch or a lockdown, what tinc-up arms them with (`--kill-switch --remote IP` and the redirect's
 * options), so that it holds from tincd's start, before tinc first reaches its server.
 */
export function clientTincScripts(
  confbase: string,
  command: string[],
  addresses: VpnAddress[],
  armArgs: string[],
): HookScript[] {
  if (!addresses.length && !armArgs.length) return [];
  const up = commandLine(command, ['hook', 'tinc-up', ...addressArgs(addresses), ...armArgs]);
  const down = commandLine(command, ['hook', 'tinc-down', ...addressArgs(addresses)]);
  return [script(join(confbase, 'tinc-up'), [up], true), script(join(confbase, 'tinc-down'), [down], false)];
}

export function serverTincScripts(confbase: string, command: string[], addresses: VpnAddress[]): HookScript[] {
  const up = [
    commandLine(command, ['hook', 'tinc-up', ...addressArgs(addresses)]),
    commandLine(command, ['serve', INTERFACE]),
  ];
  // unserve first, while the addresses it may have served are still there; tinc-down runs whatever it says.
  const down = [
    commandLine(command, ['unserve', INTERFACE]),
    commandLine(command, ['hook', 'tinc-down', ...addressArgs(addresses)]),
  ];
  return [script(join(confbase, 'tinc-up'), up, true), script(join(confbase, 'tinc-down'), down, false)];
}
