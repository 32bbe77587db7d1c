// The tincd that runs us (as hosts/SERVER-up): the nearest ancestor process named tincd, read from /proc.
import { readFileSync } from 'node:fs';

/** A process's name and parent, from /proc/PID/stat (the name is in parentheses and may hold anything). */
function processOf(pid: number): { name: string; parent: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = stat.lastIndexOf(')');
    return { name: stat.slice(stat.indexOf('(') + 1, close), parent: Number(stat.slice(close + 2).split(' ')[1]) };
  } catch {
    return undefined;
  }
}

export function tincdAncestor(pid = process.pid): number | undefined {
  for (let at = processOf(pid)?.parent, hops = 0; at && at > 1 && hops < 32; hops++) {
    const p = processOf(at);
    if (!p) return undefined;
    if (p.name === 'tincd') return at;
    at = p.parent;
  }
  return undefined;
}
