// The addon's errors as the API's: an error with an errno is the kernel's (or a system call's) refusal.
import { NetlinkError } from '../errors.js';
import type { NativeError } from './native.js';

export function fromNative(e: unknown, operation: string, subject?: string, route?: object): unknown {
  const err = e as NativeError;
  if (typeof err?.errno !== 'number') return e;
  return new NetlinkError({ errno: err.errno, operation, subject, route, extack: err.extack });
}
