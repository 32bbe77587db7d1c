// A connection to a D-Bus bus over its Unix socket: SASL EXTERNAL (the kernel vouches for our uid), Hello,
// then method calls whose replies are matched by serial. Every step has a deadline: a hook must never hang.
import type { Socket } from 'node:net';
import { DBusError, DBusWireError } from './dbus-errors.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from './dbus-message.js';
import type { DBusValue } from './dbus-wire.js';

export const SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

/** The system bus, where $DBUS_SYSTEM_BUS_ADDRESS does not name another (as libdbus and sd-bus read it). */
export function systemBusAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DBUS_SYSTEM_BUS_ADDRESS || SYSTEM_BUS_ADDRESS;
}

/** The bus socket could not be reached at all: no bus runs there. */
export class DBusUnreachableError extends DBusError {
  override name = 'DBusUnreachableError';
}

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
}

interface Pending {
  resolve(message: Message): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

export class DBusConnection {
  private lastSerial = 0;
  private readonly pending = new Map<number, Pending>();
  private received: Uint8Array = new Uint8Array(0);
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.fail(new DBusError(`the D-Bus connection failed: ${e.message}`)));
    socket.on('close', () => this.fail(new DBusError('the D-Bus connection was closed')));
  }

  /** Connects, authenticates and says Hello, all within `timeoutMs`. */
  static async open(address: string, timeoutMs: number): Promise<DBusConnection> {
    const path = socketPath(address);
    const socket = await authenticated(path, timeoutMs);
    const connection = new DBusConnection(socket, timeoutMs);
    try {
      await connection.call({ ...BUS, member: 'Hello' });
    } catch (e) {
      connection.close();
      throw e;
    }
    return connection;
  }

  /** Calls a method and resolves with its reply's body; an error reply rejects with a DBusError naming it. */
  async call(call: MethodCall): Promise<DBusValue[]> {
    if (this.failure) throw this.failure;
    const serial = ++this.lastSerial;
    const bytes = encodeMessage({ type: MessageType.methodCall, flags: 0, serial, ...call });
    const reply = await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new DBusError(`${call.destination} did not answer ${call.member} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(serial, { resolve, reject, timer });
      this.socket.write(bytes);
    });
    if (reply.type === MessageType.error) {
      const text = typeof reply.body[0] === 'string' ? `: ${reply.body[0]}` : '';
      throw new DBusError(`${call.member} failed: ${reply.errorName}${text}`, reply.errorName);
    }
    return reply.body;
  }

  /** Whether some connection owns `name` now (no service is started for the question). */
  async hasOwner(name: string): Promise<boolean> {
    const [owned] = await this.call({ ...BUS, member: 'NameHasOwner', signature: 's', body: [name] });
    return owned === true;
  }

  close(): void {
    this.fail(new DBusError('the D-Bus connection was closed'));
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const all = new Uint8Array(this.received.length + chunk.length);
    all.set(this.received);
    all.set(chunk, this.received.length);
    let at = 0;
    try {
      for (;;) {
        const length = messageLength(all.subarray(at));
        if (length === undefined || all.length - at < length) break;
        this.dispatch(decodeMessage(all.subarray(at, at + length)));
        at += length;
      }
    } catch (e) {
      this.fail(new DBusError(`the bus sent a malformed message: ${(e as DBusWireError).message}`));
      this.socket.destroy();
      return;
    }
    this.received = all.slice(at);
  }

  /** Replies go to their call; signals (NameAcquired after Hello) and calls to us are not for this client. */
  private dispatch(message: Message): void {
    if (message.replySerial === undefined) return;
    if (message.type !== MessageType.methodReturn && message.type !== MessageType.error) return;
    const pending = this.pending.get(message.replySerial);
    if (!pending) return;
    this.pending.delete(message.replySerial);
    clearTimeout(pending.timer);
    pending.resolve(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const [serial, pending] of this.pending) {
      this.pending.delete(serial);
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}

/**
 * The socket path of the first unix: address in a D-Bus address list ("unix:path=/run/dbus/system_bus_socket",
 * "unix:abstract=name"); values are %-escaped.
 */
export function socketPath(address: string): string {
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue;
    const params = new Map(
      entry
        .slice('unix:'.length)
        .split(',')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), decodeURIComponent(kv.slice(kv.indexOf('=') + 1))]),
    );
    if (params.get('path')) return params.get('path')!;
    if (params.get('abstract')) return `\0${params.get('abstract')}`;
  }
  throw new DBusError(`no unix socket in the D-Bus address ${JSON.stringify(address)}`);
}

/** A socket past SASL's EXTERNAL mechanism: the uid we run as, in hex of its decimal digits; then BEGIN. */
function authenticated(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Loaded here, not imported: every hook would pay for node:net, and only one that sets DNS needs it.
    const { createConnection } = process.getBuiltinModule('node:net') as typeof import('node:net');
    const socket = createConnection(path);
    let text = '';
    const timer = setTimeout(
      () => finish(new DBusError(`the D-Bus bus at ${path} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException) =>
      finish(
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? new DBusUnreachableError(`no D-Bus bus at ${path}`)
          : new DBusError(`cannot connect to the D-Bus bus at ${path}: ${e.message}`),
      );
    const onClose = () => finish(new DBusError(`the D-Bus bus at ${path} closed the connection while authenticating`));
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) {
        if (text.length > 512) finish(new DBusError('the D-Bus bus sent an overlong authentication line'));
        return;
      }
      const line = text.slice(0, end);
      if (!line.startsWith('OK ')) return finish(new DBusError(`the D-Bus bus refused us: ${line.slice(0, 100)}`));
      socket.write('BEGIN\r\n');
      finish();
    };
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.once('connect', () => {
      const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
      socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    });
  });
}
