// host-up/host-down for a mesh whose redirect has a follower (install-hook --mesh --follow): hooks/mesh-handoff.sh,
// a shell script of builtins only (what it does is said there, where shellcheck reads it too), with its values
// filled in. The follower's side is mesh-handoff-follower.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MESH_DIR } from '../store/index.js';
import { MARKER, shellQuote, type HookScript } from './install.js';

/** Shipped in the package beside dist/ (dist/cli/main.js, the bundle's URL, is as deep as this module). */
const TEMPLATE = new URL('../../hooks/mesh-handoff.sh', import.meta.url);

/** The handoff directory of a tinc configuration (one tincd per confbase). */
export function handoffDir(confbase: string): string {
  return `${MESH_DIR}/${encodeURIComponent(resolve(confbase))}`;
}

/** The template's line that starts with `name=` or `name()` replaced by `line`. */
function fill(script: string, name: string, line: string): string {
  const pattern = new RegExp(`^${name}(=|\\(\\)).*$`, 'm');
  if (!pattern.test(script)) throw new Error(`${TEMPLATE.pathname} has no line for ${name}`);
  return script.replace(pattern, () => line);
}

export function handoffScript(
  path: string,
  command: string[],
  event: 'host-up' | 'host-down',
  dir: string,
): HookScript {
  let content = readFileSync(TEMPLATE, 'utf8').replace(/^#!\/bin\/sh\n/, `#!/bin/sh\n${MARKER}\n`);
  content = fill(content, 'd', `d=${shellQuote(dir)}`);
  content = fill(content, 'event', `event=${shellQuote(event)}`);
  content = fill(
    content,
    'fallback',
    `fallback() { exec ${[...command, 'hook'].map(shellQuote).join(' ')} "$event"; }`,
  );
  return { path, content };
}
