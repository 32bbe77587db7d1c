// Reading errors the way iproute2 reports them, to compare ours with the oracle's.
import { constants } from 'node:os';

/** strerror text (as ip prints it after "RTNETLINK answers: ") -> errno, for the errors routes produce. */
const STRERROR: Record<string, number> = {
  'Operation not permitted': constants.errno.EPERM,
  'No such file or directory': constants.errno.ENOENT,
  'No such process': constants.errno.ESRCH,
  'File exists': constants.errno.EEXIST,
  'No such device': constants.errno.ENODEV,
  'Invalid argument': constants.errno.EINVAL,
  'Network is unreachable': constants.errno.ENETUNREACH,
  'No route to host': constants.errno.EHOSTUNREACH,
  'Permission denied': constants.errno.EACCES,
  'Network is down': constants.errno.ENETDOWN,
  'Numerical result out of range': constants.errno.ERANGE,
  'Operation not supported': constants.errno.EOPNOTSUPP,
};

/**
 * The errno behind an ip failure message: "RTNETLINK answers: No route to host" -> EHOSTUNREACH.
 * Throws when the message has no strerror text in it (an extended-ack-only "Error: ..." message).
 */
export function errnoOfIpMessage(message: string): number {
  for (const [text, errno] of Object.entries(STRERROR)) if (message.includes(text)) return errno;
  throw new Error(`no errno text in ip's message: ${message}`);
}

/** The kernel's extended-ack text in an ip failure message ("Error: Nexthop has invalid gateway."), if any. */
export function extackOfIpMessage(message: string): string | undefined {
  return /Error: (.*?)\.?$/m.exec(message)?.[1];
}
