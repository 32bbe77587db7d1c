// The names iproute2 gives numbers (lib/rt_names.c): protocols, scopes, tables, realms, DS fields, device
// groups. Built-in names, completed from its files in /etc/iproute2 (or /usr/share/iproute2 where newer ip
// keeps them) and their `.d` folders, read the way ip reads them, so that what we print is what ip prints
// on this host, whatever is there.
import { closeSync, lstatSync, opendirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ETC = '/etc/iproute2';
const USR = '/usr/share/iproute2';

/** fread_id_name's sscanf formats, tried in its order: "0x%x %s", then "%d %s". */
const HEX_LINE = /^0x\s*([+-]?[0-9a-f]+)(?![0-9a-f])\s*(\S+)/i;
const DEC_LINE = /^\s*([+-]?\d+)(?!\d)\s*(\S+)/;

/** One database file's entries, in order; a line ip calls corrupted ends the reading (what came before stays). */
function readEntries(path: string): [number, string][] | 'missing' {
  let text: string;
  try {
    // O_NONBLOCK: a FIFO planted there must not hang us (ip would wait; we read nothing).
    const fd = openSync(path, 'r', 0o4000);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : [];
  }
  const entries: [number, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const hex = HEX_LINE.exec(line);
    const m = hex ?? DEC_LINE.exec(line);
    if (!m) break;
    const id = hex ? parseInt(m[1], 16) : Number(m[1]);
    if (id >= 0) entries.push([id, m[2]]);
  }
  return entries;
}

/** The `.conf` files of a folder, in the order readdir gives them (as ip takes them, unsorted). */
function confFiles(dir: string): string[] {
  const names: string[] = [];
  try {
    const d = opendirSync(dir);
    try {
      for (let e = d.readSync(); e; e = d.readSync()) {
        if (!e.name.startsWith('.') && e.name.length > 5 && e.name.endsWith('.conf')) names.push(e.name);
      }
    } finally {
      d.closeSync();
    }
  } catch {
    // no folder: nothing to add
  }
  return names;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The entries of one database: its file (the /usr one if /etc has none), then its `.d` folder's files. */
function databaseEntries(file: string, dir: string | undefined): [number, string][] {
  const base = readEntries(join(ETC, file));
  const entries = base === 'missing' ? readEntries(join(USR, file)) : base;
  const all = entries === 'missing' ? [] : [...entries];
  if (dir) {
    // A /usr file is read unless /etc has one of the same name; then every /etc file.
    for (const name of confFiles(join(USR, dir))) {
      if (exists(join(ETC, dir, name))) continue;
      const more = readEntries(join(USR, dir, name));
      if (more !== 'missing') all.push(...more);
    }
    for (const name of confFiles(join(ETC, dir))) {
      const more = readEntries(join(ETC, dir, name));
      if (more !== 'missing') all.push(...more);
    }
  }
  return all;
}

/**
 * One of ip's name databases. A `lazy` one (rt_names.c's tables of 256) reads its files only when asked for a
 * number it has no name for, so until then the built-in names stand even where a file renames them, as in ip;
 * the others (its hashes: tables, groups) read them at the first question. A later file's name wins.
 */
class NameDatabase {
  readonly #names: Map<number, string>;
  #read = false;

  constructor(
    builtIn: Record<number, string>,
    private readonly file: string,
    private readonly dir: string | undefined,
    private readonly lazy: boolean,
  ) {
    this.#names = new Map(Object.entries(builtIn).map(([id, name]) => [Number(id), name]));
  }

  name(id: number): string | undefined {
    if (this.lazy && id > 255) return undefined;
    if (!this.#read && (!this.lazy || !this.#names.has(id))) {
      this.#read = true;
      for (const [n, name] of databaseEntries(this.file, this.dir)) {
        if (!this.lazy || n <= 255) this.#names.set(n, name);
      }
    }
    return this.#names.get(id);
  }
}

/** ip's names for one process's output, each database read (once) when ip would read it. */
export class Iproute2Names {
  readonly #protocols = new NameDatabase(
    {
      0: 'unspec',
      1: 'redirect',
      2: 'kernel',
      3: 'boot',
      4: 'static',
      8: 'gated',
      9: 'ra',
      10: 'mrt',
      11: 'zebra',
      12: 'bird',
      42: 'babel',
      13: 'dnrouted',
      14: 'xorp',
      15: 'ntk',
      16: 'dhcp',
      18: 'keepalived',
      186: 'bgp',
      187: 'isis',
      188: 'ospf',
      189: 'rip',
      192: 'eigrp',
    },
    'rt_protos',
    'rt_protos.d',
    true,
  );
  readonly #scopes = new NameDatabase(
    { 0: 'global', 255: 'nowhere', 254: 'host', 253: 'link', 200: 'site' },
    'rt_scopes',
    undefined,
    true,
  );
  readonly #realms = new NameDatabase({ 0: 'unknown' }, 'rt_realms', undefined, true);
  readonly #dsfields = new NameDatabase({ 0: '0' }, 'rt_dsfield', undefined, true);
  readonly #tables = new NameDatabase({ 253: 'default', 254: 'main', 255: 'local' }, 'rt_tables', 'rt_tables.d', false);
  readonly #groups = new NameDatabase({ 0: 'default' }, 'group', undefined, false);

  protocol(n: number): string {
    return this.#protocols.name(n) ?? String(n);
  }

  scope(n: number): string {
    return this.#scopes.name(n) ?? String(n);
  }

  realm(n: number): string {
    return this.#realms.name(n) ?? String(n);
  }

  /** A TOS byte: its name, else as ip's "0x%02x". */
  dsfield(n: number): string {
    return this.#dsfields.name(n) ?? `0x${n.toString(16).padStart(2, '0')}`;
  }

  table(n: number): string {
    return this.#tables.name(n) ?? String(n);
  }

  group(n: number): string {
    return this.#groups.name(n) ?? String(n);
  }
}

let names: Iproute2Names | undefined;

/**
 * The names of this process: like ip's, each database is read once, when ip would first read it. Made at the
 * first question, not when the module loads: a hook, which prints no names, would pay for the tables.
 */
export function ipNames(): Iproute2Names {
  return (names ??= new Iproute2Names());
}
