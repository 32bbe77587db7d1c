import { RefusedError } from '../errors.js';

/** Bytes that are not a D-Bus message, or a value that does not fit its signature. */
export class DBusWireError extends Error {
  override name = 'DBusWireError';
}

/** The bus or a service said no (an error reply), did not answer in time, or could not be reached. */
export class DBusError extends RefusedError {
  override name = 'DBusError';
  /** The D-Bus error name (org.freedesktop.DBus.Error.ServiceUnknown ...), when the bus or service sent one. */
  readonly errorName?: string;

  constructor(message: string, errorName?: string) {
    super(message);
    this.errorName = errorName;
  }
}
