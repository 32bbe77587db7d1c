// Validation of the names users hand us: interfaces and network namespaces.
import { InvalidInputError } from './errors.js';

const IFNAMSIZ = 16;

/**
 * Linux accepts 1-15 bytes without '/', ':' or white space, and not '.' or '..' (dev_valid_name); a lone
 * surrogate is no text at all (it has no UTF-8, and cannot name a file): with the u flag, [\uD800-\uDFFF] matches
 * only a lone one (as \p{Cs} does, whose set costs a hook's start-up 0.1 ms to build).
 */
export function checkInterfaceName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new InvalidInputError('invalid interface name: empty');
  if (Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new InvalidInputError(`invalid interface name: ${JSON.stringify(name)} is longer than ${IFNAMSIZ - 1} bytes`);
  }
  if (name === '.' || name === '..' || /[/:\s\0\uD800-\uDFFF]/u.test(name)) {
    throw new InvalidInputError(`invalid interface name: ${JSON.stringify(name)}`);
  }
  return name;
}

/** A name under /run/netns, as `ip netns add` makes them, or an absolute path to a namespace file. */
export function checkNetnsName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new InvalidInputError('invalid network namespace: empty');
  const ok = name.startsWith('/')
    ? !name.includes('\0') && !name.split('/').includes('..')
    : name !== '.' && name !== '..' && !/[/\0]/.test(name) && Buffer.byteLength(name) <= 255;
  if (!ok) throw new InvalidInputError(`invalid network namespace: ${JSON.stringify(name)}`);
  return name;
}

export function checkUint(value: unknown, what: string, max = 0xffffffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(value)} (a whole number from 0 to ${max})`);
  }
  return value;
}
