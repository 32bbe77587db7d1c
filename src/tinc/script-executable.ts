// The scripts install-hook writes run node and main.js by the absolute paths they had then: a checkout or a
// temporary directory that is later moved or removed breaks tinc without a word. Said at install time, and
// noticed afterwards by install-hook (a script of ours it replaces) and `status` (the scripts in /etc/tinc).
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readRegularFile, readTincFile } from './config.js';
import { isOurScript } from './install.js';

function temporaryDirectory(path: string): string | undefined {
  // node:os where it is used: every hook loads this module (tinc/index.ts), none needs os otherwise.
  const { tmpdir } = process.getBuiltinModule('node:os') as typeof import('node:os');
  const temporary = [tmpdir(), '/tmp', '/var/tmp', '/dev/shm'].find((t) => path.startsWith(`${t}/`));
  return temporary && `in the temporary directory ${temporary}`;
}

/** main.js in a git checkout, not an installed package (node in one is no sign: ~/.nvm is a checkout). */
function gitCheckout(main: string): string | undefined {
  for (let at = dirname(main); at !== '/' && basename(at) !== 'node_modules'; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return `inside the git checkout ${at}`;
  }
  return undefined;
}

/** The words of the scripts' command (node, main.js) that may not last, and why. */
export function fragileLocations([node, main]: string[]): { path: string; where: string }[] {
  const found = [
    { path: node, where: temporaryDirectory(node) },
    { path: main, where: temporaryDirectory(main) ?? gitCheckout(main) },
  ];
  return found.filter((f): f is { path: string; where: string } => f.where !== undefined);
}

/** The programs a script of ours runs (node and main.js: its first command's two words) that are gone. */
export function goneExecutables(script: string): string[] {
  const command = /^(?:exec )?'([^']+)' '([^']+)'/m.exec(script.split('\n').slice(2).join('\n'));
  return command ? command.slice(1).filter((path) => !existsSync(path)) : [];
}

const TINC_ROOT = '/etc/tinc';

/**
 * The scripts of ours, in the tinc networks under /etc/tinc whose interface is `iface` (tinc.conf's Interface,
 * else the network's name), that run a program that is gone: one line each.
 */
export async function brokenScripts(iface: string): Promise<string[]> {
  const problems: string[] = [];
  for (const net of await fs.readdir(TINC_ROOT).catch(() => [])) {
    const confbase = join(TINC_ROOT, net);
    const conf = await readTincFile(join(confbase, 'tinc.conf')).catch(() => undefined);
    if (!conf || (conf.get('interface')?.[0] ?? net) !== iface) continue;
    const hosts = await fs.readdir(join(confbase, 'hosts')).catch(() => []);
    const scripts = [
      ...['tinc-up', 'tinc-down', 'host-up', 'host-down'],
      ...hosts
        .filter((h) => /-(up|down)$/.test(h))
        .sort()
        .map((h) => join('hosts', h)),
    ];
    for (const script of scripts.map((s) => join(confbase, s))) {
      const text = await readRegularFile(script).then(String, () => '');
      if (!isOurScript(text)) continue;
      for (const gone of goneExecutables(text))
        problems.push(`${script} runs ${gone}, which is gone: tincd cannot run it (run install-hook again)`);
    }
  }
  return problems;
}
