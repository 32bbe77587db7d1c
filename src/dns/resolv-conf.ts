// /etc/resolv.conf where no systemd-resolved runs: replaced whole (a temporary file renamed over it), with a
// marker line naming the interface, so `down` and a crashed `up`'s successor know the file is ours.
import * as fs from 'node:fs';
import { RefusedError } from '../errors.js';
import type { CheckedDns } from './settings.js';

const { constants } = fs;
export const RESOLV_CONF = '/etc/resolv.conf';
const MARKER = /^# redirect-gateway: DNS through (\S+);/m;
/** A resolv.conf is small; anything bigger is not one. */
const MAX_BYTES = 1 << 20;

export interface ResolvConf {
  bytes: Buffer;
  mode: number;
}

/** The file's bytes and mode, or null when there is none. A symbolic link is refused: it is someone's to manage. */
export function readResolvConf(): ResolvConf | null {
  let st;
  try {
    st = fs.lstatSync(RESOLV_CONF);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (st.isSymbolicLink()) {
    throw new RefusedError(
      `${RESOLV_CONF} is a symbolic link to ${fs.readlinkSync(RESOLV_CONF)}, which its owner (systemd-resolved, resolvconf, NetworkManager) rewrites: refusing to write through it; with systemd-resolved running, DNS is set through it instead`,
    );
  }
  if (!st.isFile() || st.size > MAX_BYTES)
    throw new RefusedError(`${RESOLV_CONF} is not a regular file of a sane size`);
  const fd = fs.openSync(RESOLV_CONF, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return { bytes: fs.readFileSync(fd), mode: fs.fstatSync(fd).mode & 0o7777 };
  } finally {
    fs.closeSync(fd);
  }
}

/** The interface whose DNS our marker says the file holds, or undefined when it is not ours. */
export function markedFor(file: ResolvConf | null): string | undefined {
  return file ? MARKER.exec(file.bytes.toString('latin1'))?.[1] : undefined;
}

export function resolvConfText(iface: string, dns: CheckedDns): string {
  return [
    `# redirect-gateway: DNS through ${iface}; \`redirect-gateway down ${iface}\` puts the previous file back`,
    ...dns.servers.map((s) => `nameserver ${s.text}`),
    '',
  ].join('\n');
}

/**
 * Replaces the file at once: readers see the old one or the new one. Where /etc/resolv.conf is a mount point (a
 * container's, `ip netns exec`'s bind mount) nothing can be renamed over it, and it is rewritten in place.
 */
export function replaceResolvConf(file: ResolvConf): void {
  const temp = `/etc/.resolv.conf.redirect-gateway.${process.pid}`;
  fs.rmSync(temp, { force: true });
  const fd = fs.openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    file.mode,
  );
  try {
    fs.writeFileSync(fd, file.bytes);
    fs.fchmodSync(fd, file.mode); // not the umask's
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, RESOLV_CONF);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    rewriteInPlace(file);
  }
}

function rewriteInPlace(file: ResolvConf): void {
  const fd = fs.openSync(RESOLV_CONF, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    fs.writeFileSync(fd, file.bytes);
    fs.fchmodSync(fd, file.mode);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where there was no resolv.conf before: none again (a mount point cannot go, and is emptied). */
export function removeResolvConf(): void {
  try {
    fs.unlinkSync(RESOLV_CONF);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    rewriteInPlace({ bytes: Buffer.alloc(0), mode: 0o644 });
  }
}
