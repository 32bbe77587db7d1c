// host-up/host-down for a mesh whose redirect has a follower (install-hook --mesh --follow): tincd forwards
// nothing while a host script runs, so these hand the peer over with shell builtins only, no program run.
// Each writes the node's latest event to the handoff directory (`peer-NODE`: `up ADDRESS` or `down`, one
// write); when the follower that watches the directory runs (its pid and start time in `follower`, checked
// against /proc: a reused pid or a zombie is not it), that is all; otherwise `hook host-up`/`host-down` as without one.
// The entry is written either way, so the directory always holds every node's latest event: a follower
// started later folds it in at start (mesh-handoff-follower.ts).
import { resolve } from 'node:path';
import { MESH_DIR } from '../store/index.js';
import { MARKER, shellQuote, type HookScript } from './install.js';

/** The handoff directory of a tinc configuration (one tincd per confbase). */
export function handoffDir(confbase: string): string {
  return `${MESH_DIR}/${encodeURIComponent(resolve(confbase))}`;
}

const FOLLOWING = `following() {
  read -r pid start 2>/dev/null <"$d/follower" || return 1
  read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
  set -- \${stat##*) }
  [ "$1" != Z ] && [ "\${20}" = "$start" ]
}`;

const HANDOFF = {
  'host-up': `case $REMOTEADDRESS in ''|*[!0-9A-Fa-f.:]*) return 1 ;; esac
  printf 'up %s\\n' "$REMOTEADDRESS" 2>/dev/null >"$d/peer-$NODE" || return 1`,
  'host-down': `printf 'down\\n' 2>/dev/null >"$d/peer-$NODE" || return 1`,
};

export function handoffScript(
  path: string,
  command: string[],
  event: 'host-up' | 'host-down',
  dir: string,
): HookScript {
  const fallback = ['exec', ...[...command, 'hook', event].map(shellQuote)].join(' ');
  const content = `#!/bin/sh
${MARKER}
# The peer to the follower through ${dir}, with builtins only; without a follower, \`hook ${event}\`.
d=${shellQuote(dir)}
${FOLLOWING}
handoff() {
  case $NODE in ''|*[!A-Za-z0-9_]*) return 1 ;; esac
  ${HANDOFF[event]}
  following
}
handoff && exit 0
${fallback}
`;
  return { path, content };
}
