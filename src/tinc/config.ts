// Reading tinc's configuration files: `Key = Value` lines, keys case-insensitive, '#' comments.
import { readFile } from 'node:fs/promises';

export async function readTincFile(path: string): Promise<Map<string, string[]>> {
  const text = await readFile(path, 'utf8');
  const values = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    if (raw.startsWith('-----BEGIN')) break; // the public key block ends the options
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z]+)\s*[=\s]\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    values.set(key, [...(values.get(key) ?? []), m[2].trim()]);
  }
  return values;
}

export function confbaseOf(netname: string | undefined, confbase: string | undefined): string {
  return confbase ?? `/etc/tinc/${netname}`;
}
