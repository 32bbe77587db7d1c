/** Input that is wrong before anything reaches the kernel: a bad address, prefix, name or option. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** A refusal or failure that is not the kernel's: a conflicting route, a missing interface, a lock. */
export class RefusedError extends Error {
  override name = 'RefusedError';
}

// Built on first use: making the map costs milliseconds, and the hook's start-up should not pay them (nor, imported,
// node:util's namespace: 0.25 ms).
let systemErrors: Map<number, [string, string]> | undefined;

function systemError(errno: number): [string, string] | undefined {
  systemErrors ??= (process.getBuiltinModule('node:util') as typeof import('node:util')).getSystemErrorMap();
  return systemErrors.get(-errno);
}

/** The errno's name, like 'EEXIST', or 'E<number>' when the platform has no name for it. */
export function errnoCode(errno: number): string {
  return systemError(errno)?.[0] ?? `E${errno}`;
}

/** The C library's text for the errno, like 'File exists'. */
export function errnoText(errno: number): string {
  return systemError(errno)?.[1] ?? `error ${errno}`;
}

/** A failure reported by the kernel (or the netlink transport): errno, its name, what we asked, why. */
export class NetlinkError extends Error {
  override name = 'NetlinkError';
  readonly errno: number;
  readonly code: string;
  readonly operation: string;
  readonly route?: object;
  /** The kernel's extended-ack text, when it gave one. */
  readonly extack?: string;
  /** Why it failed, without what was asked: the extended-ack text, or the errno's text. */
  readonly reason: string;

  constructor(options: {
    errno: number;
    operation: string;
    subject?: string;
    route?: object;
    extack?: string;
    reason?: string;
  }) {
    const why = options.reason ?? (options.extack || errnoText(options.errno));
    super(`${options.operation}${options.subject ? ` ${options.subject}` : ''}: ${why}`);
    this.errno = options.errno;
    this.code = errnoCode(options.errno);
    this.operation = options.operation;
    this.route = options.route;
    this.extack = options.extack || undefined;
    this.reason = why;
  }
}
