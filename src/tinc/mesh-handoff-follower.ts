// The follower's side of the mesh handoff (mesh-handoff.ts writes the scripts): it watches the
// handoff directory (inotify through fs.watch: no timers), and folds each node's latest event into the peers
// file and the exception routes under the lock, many events in one reaction. It reads every entry at start, so
// what the scripts wrote while no follower ran (or while a killed one was going) is taken in.
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { describeChange } from '../netlink/index.js';
import { foldPeers, type CommonOptions } from '../redirect/index.js';
import { ensureDir, ensureStateDir, MESH_DIR, readFileNoFollow } from '../store/index.js';
const ENTRY = /^peer-(\w+)$/;
const FOLLOWER = 'follower';

export interface Handoff {
  /** Stops watching and withdraws the pid file; resolves once a fold in progress is done. */
  close(): Promise<void>;
}

/** A handoff directory is one of MESH_DIR's entries, as install-hook names them. */
export function checkHandoffDir(dir: string): string {
  const name = dir.slice(MESH_DIR.length + 1);
  if (dirname(dir) !== MESH_DIR || !name || name === '.' || name === '..')
    throw new InvalidInputError(`the handoff directory must be an entry of ${MESH_DIR}: ${JSON.stringify(dir)}`);
  return dir;
}

/**
 * An entry's event: the address (up; foldPeers checks it), null (down), or undefined while it is being written
 * (or not ours).
 */
function readEntry(path: string): string | null | undefined {
  const text = readFileNoFollow(path);
  if (text === 'down\n') return null;
  return text === undefined ? undefined : /^up (\S+)\n$/.exec(text)?.[1];
}

/** What the scripts compare: this process's pid and start time (field 22 of /proc/self/stat). */
function pidLine(): string {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}\n`;
}

export async function watchHandoff(
  dir: string,
  iface: string,
  options: CommonOptions & { log: (line: string) => void },
): Promise<Handoff> {
  const { log, ...common } = options;
  checkHandoffDir(dir);
  await ensureStateDir();
  ensureDir(MESH_DIR);
  ensureDir(dir);
  const pending = new Set<string>();
  let folding: Promise<void> | undefined;
  let closed = false;

  function take(name: string | null): void {
    const node = name === null ? undefined : ENTRY.exec(name)?.[1];
    if (node === undefined || closed) return;
    pending.add(node);
    folding ??= fold();
  }

  async function fold(): Promise<void> {
    try {
      while (pending.size && !closed) {
        await new Promise(setImmediate); // the rest of the burst first: one reconcile for all of it
        const nodes = [...pending];
        pending.clear();
        const read = () => {
          const events = new Map<string, string | null>();
          for (const node of nodes) {
            const event = readEntry(`${dir}/peer-${node}`);
            if (event !== undefined) events.set(node, event);
          }
          return events;
        };
        await foldPeers(iface, read, common).then(
          (r) => r.changes.forEach((c) => log(`${iface}: ${describeChange(c)}`)),
          (e: unknown) => log(`${iface}: peers not taken in: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    } finally {
      folding = undefined;
    }
  }

  // Watching first, then the pid file (the scripts hand over from then on), then every entry already there.
  const watcher = fs.watch(dir, (_, name) => take(name));
  const pidFile = `${dir}/${FOLLOWER}`;
  const mine = pidLine();
  const temp = `${pidFile}.${process.pid}.tmp`;
  fs.writeFileSync(temp, mine, { mode: 0o600 });
  fs.renameSync(temp, pidFile);
  for (const name of fs.readdirSync(dir)) take(name);
  return {
    async close() {
      closed = true;
      watcher.close();
      await folding;
      try {
        if (fs.readFileSync(pidFile, 'utf8') === mine) fs.rmSync(pidFile);
      } catch {
        // gone already
      }
    },
  };
}
