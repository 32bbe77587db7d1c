// `up --follow` and `hook up --follow`: the follower as a process of its own, detached (its own session, no
// stdio: tincd waits for its scripts and for nothing else), unless one already runs for the interface.
// node:child_process is taken where a follower is started, not imported: loading it (with node:net and the
// streams) was about 4 ms of every hook's start-up, with or without --follow.
import { fileURLToPath } from 'node:url';
import { followerOf } from '../redirect/index.js';

/** The executable (this bundle), not the symbolic link named SERVER-up we may have been run as. */
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export interface SpawnedFollower {
  pid: number;
  /** It was running already. */
  reused: boolean;
}

export async function ensureFollower(
  iface: string,
  options: { netns?: string; tincd?: number; handoff?: string },
): Promise<SpawnedFollower> {
  const running = await followerOf(iface, { netns: options.netns });
  if (running) return { pid: running.pid, reused: true };
  const args = [MAIN, 'follow', iface];
  if (options.netns !== undefined) args.push('--netns', options.netns);
  if (options.tincd !== undefined) args.push('--tincd-pid', String(options.tincd));
  if (options.handoff !== undefined) args.push('--handoff', options.handoff);
  const { spawn } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', cwd: '/' });
  child.unref();
  return { pid: child.pid!, reused: false };
}

export function describeFollower(f: SpawnedFollower): string {
  return `follower: pid ${f.pid}${f.reused ? ' (already running)' : ' (started)'}`;
}
