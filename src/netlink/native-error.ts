// The addon's errors as the API's: an error with an errno is the kernel's (or a system call's) refusal.
import { NetlinkError } from '../errors.js';
import type { NativeChangeResults, NativeError } from './native.js';

export function fromNative(e: unknown, operation: string, subject?: string, route?: object): unknown {
  const err = e as NativeError;
  if (typeof err?.errno !== 'number') return e;
  return new NetlinkError({ errno: err.errno, operation, subject, route, extack: err.extack });
}

/** What a refused change's error says: the operation, the change in a few words and as given, why (else errno's). */
export interface Refused {
  operation: string;
  subject: string;
  route: object;
  reason?: string;
}

/**
 * A batch's per-change results (route changes, rule changes) as the API's, appended to `out`: `{ change }` where
 * the kernel took it, `{ change, error }` where it refused. The results are those of `changes` from `offset`;
 * with onlyFailures, only the refused.
 */
export function changeResults<C>(
  changes: readonly C[],
  offset: number,
  { errors, messages }: NativeChangeResults,
  refused: (change: C, errno: number, extack: string | undefined) => Refused,
  out: { change: C; error?: NetlinkError }[],
  onlyFailures = false,
): void {
  for (let i = 0; i < errors.length; i++) {
    const change = changes[offset + i];
    const errno = errors[i];
    if (errno === 0) {
      if (!onlyFailures) out.push({ change });
      continue;
    }
    const extack = messages[i];
    out.push({ change, error: new NetlinkError({ errno, extack, ...refused(change, errno, extack) }) });
  }
}
