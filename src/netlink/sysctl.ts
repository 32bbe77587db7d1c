// Kernel settings under /proc/sys/net (native/sysctl.h), named as paths: 'net/ipv4/ip_forward'.
import { InvalidInputError } from '../errors.js';

/** 'net/...' with parts of letters, digits, '_', '-' and '.', never '.' or '..' (the addon checks again). */
export function checkSysctlName(name: unknown): string {
  const ok =
    typeof name === 'string' &&
    name.length <= 255 &&
    /^net(\/[A-Za-z0-9_.-]+)+$/.test(name) &&
    !name.split('/').some((part) => part === '.' || part === '..');
  if (!ok) throw new InvalidInputError(`invalid setting: ${JSON.stringify(name)} (a path under net/)`);
  return name;
}

/** A value to write: printable text on one line. */
export function checkSysctlValue(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x20-\x7e\t]{1,4096}$/.test(value)) {
    throw new InvalidInputError(`invalid setting value: ${JSON.stringify(value)}`);
  }
  return value;
}
