// The server's host file must announce the default route (`Subnet = 0.0.0.0/0`, `::/0` for IPv6), or tincd
// sends it nothing but the VPN's own subnets. install-hook warns, or with --add-subnet adds the lines.
import { promises as fs } from 'node:fs';
import { RefusedError } from '../errors.js';
import { readRegularFile, readTincFile } from './config.js';
import { writeAtomically } from './install.js';

const ALL = { 4: '0.0.0.0/0', 6: '::/0' } as const;

/** The `Subnet = ...` lines the host file lacks; undefined when there is no such file. */
export async function missingSubnetLines(hostFile: string, families: (4 | 6)[]): Promise<string[] | undefined> {
  const host = await readTincFile(hostFile).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (!host) return undefined;
  const subnets = host.get('subnet') ?? [];
  return families.filter((f) => !subnets.includes(ALL[f])).map((f) => `Subnet = ${ALL[f]}`);
}

/**
 * Adds the lines before the public key block (or at the end), leaving every other byte as it was: written
 * beside it and renamed over it, with its mode, owner and group, never through a symbolic link.
 */
export async function addSubnetLines(hostFile: string, lines: string[]): Promise<void> {
  const stat = await fs.lstat(hostFile);
  if (!stat.isFile()) throw new RefusedError(`${hostFile} is not a regular file: add ${lines.join(' and ')} by hand`);
  const text = await readRegularFile(hostFile);
  const key = /^-----BEGIN/m.exec(text.toString('latin1'));
  const at = key ? key.index : text.length;
  const before = text.subarray(0, at);
  const gap = before.length && before[before.length - 1] !== 0x0a ? '\n' : '';
  const added = Buffer.from(`${gap}${lines.join('\n')}\n`);
  await writeAtomically(hostFile, Buffer.concat([before, added, text.subarray(at)]), stat.mode & 0o7777, stat);
}
