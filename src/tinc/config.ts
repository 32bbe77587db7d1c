// Reading tinc's configuration files: `Key = Value` lines, keys case-insensitive, '#' comments, PEM key blocks
// skipped (tinc reads on after one, so a Subnet below the key counts), and tinc.conf with conf.d/*.conf.
import { constants, promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import { RefusedError } from '../errors.js';

/**
 * A regular file's text: opened without blocking and checked before reading, so that a FIFO (or a device) at a
 * configuration path is refused instead of hanging the reader forever.
 */
export async function readRegularFile(path: string): Promise<Buffer> {
  const file = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new RefusedError(`${path} is ${kindOf(stat)}, not a regular file`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  return 'a device';
}

export function parseTincText(text: string, values = new Map<string, string[]>()): Map<string, string[]> {
  let inKey = false;
  for (const raw of text.split('\n')) {
    if (raw.startsWith('-----BEGIN')) inKey = true;
    if (inKey) {
      inKey = !raw.startsWith('-----END');
      continue;
    }
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z]+)\s*[=\s]\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    values.set(key, [...(values.get(key) ?? []), m[2].trim()]);
  }
  return values;
}

export async function readTincFile(path: string): Promise<Map<string, string[]>> {
  return parseTincText((await readRegularFile(path)).toString('utf8'));
}

/** tinc.conf and then, as tincd 1.0.36 reads them, the files of conf.d whose names end in `.conf`. */
export async function readServerConfig(confbase: string): Promise<Map<string, string[]>> {
  const values = await readTincFile(join(confbase, 'tinc.conf'));
  const dir = join(confbase, 'conf.d');
  const names = await fs.readdir(dir).catch((e) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  for (const name of names.filter((n) => n.length > 5 && n.endsWith('.conf')).sort()) {
    parseTincText((await readRegularFile(join(dir, name))).toString('utf8'), values);
  }
  return values;
}

export function confbaseOf(netname: string | undefined, confbase: string | undefined): string {
  return confbase ?? `/etc/tinc/${netname}`;
}
