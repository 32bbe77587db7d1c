// A D-Bus message: a fixed 12-byte start (byte order, type, flags, version, body length, serial), the header
// fields as a(yv), padding to 8, then the body its SIGNATURE field describes.
import { DBusWireError } from './dbus-errors.js';
import { parseSignature, type DBusType } from './dbus-signature.js';
import { DBusReader, DBusWriter, type DBusValue, type Variant } from './dbus-wire.js';

export const MessageType = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const NO_REPLY_EXPECTED = 0x1;

export interface Message {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** The body's signature ('' when it has none). */
  signature: string;
  body: DBusValue[];
}

/** The header fields by code, with the type each must have. */
const FIELDS = [
  [1, 'path', 'o'],
  [2, 'interface', 's'],
  [3, 'member', 's'],
  [4, 'errorName', 's'],
  [5, 'replySerial', 'u'],
  [6, 'destination', 's'],
  [7, 'sender', 's'],
  [8, 'signature', 'g'],
] as const;

const HEADER_FIELDS: DBusType = { code: 'a', element: { code: '(', fields: [{ code: 'y' }, { code: 'v' }] } };
const PROTOCOL_VERSION = 1;
/** The specification's limit for a whole message. */
export const MAX_MESSAGE_BYTES = 128 << 20;
/** The fixed start, and the header fields array's length after it: enough to know a message's size. */
export const MESSAGE_PREFIX_BYTES = 16;

export function encodeMessage(
  message: Omit<Message, 'signature' | 'body'> & { signature?: string; body?: DBusValue[] },
): Uint8Array {
  const signature = message.signature ?? '';
  const body = message.body ?? [];
  const types = parseSignature(signature);
  if (types.length !== body.length)
    throw new DBusWireError(`the signature "${signature}" wants ${types.length} values, got ${body.length}`);
  const bodyWriter = new DBusWriter();
  types.forEach((type, i) => bodyWriter.write(type, body[i]));
  const bodyBytes = bodyWriter.result();

  const fields: DBusValue[] = [];
  for (const [code, key, fieldSignature] of FIELDS) {
    const value = key === 'signature' ? (signature === '' ? undefined : signature) : message[key];
    if (value !== undefined) fields.push([code, { signature: fieldSignature, value } satisfies Variant]);
  }
  const header = new DBusWriter();
  header.write({ code: 'y' }, 'l'.charCodeAt(0));
  header.write({ code: 'y' }, message.type);
  header.write({ code: 'y' }, message.flags);
  header.write({ code: 'y' }, PROTOCOL_VERSION);
  header.write({ code: 'u' }, bodyBytes.length);
  header.write({ code: 'u' }, message.serial);
  header.write(HEADER_FIELDS, fields);
  header.align(8);
  const head = header.result();
  const bytes = new Uint8Array(head.length + bodyBytes.length);
  bytes.set(head);
  bytes.set(bodyBytes, head.length);
  return bytes;
}

/**
 * The whole message's length from its first 16 bytes, or undefined while fewer have arrived. Throws when the
 * start is not a message's, or it announces more than a message may hold.
 */
export function messageLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < MESSAGE_PREFIX_BYTES) return undefined;
  const littleEndian = byteOrder(bytes[0]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, MESSAGE_PREFIX_BYTES);
  const bodyLength = view.getUint32(4, littleEndian);
  const fieldsLength = view.getUint32(12, littleEndian);
  const total = Math.ceil((MESSAGE_PREFIX_BYTES + fieldsLength) / 8) * 8 + bodyLength;
  if (total > MAX_MESSAGE_BYTES) throw new DBusWireError(`a message of ${total} bytes: more than 128 MiB`);
  return total;
}

function byteOrder(mark: number | undefined): boolean {
  if (mark === 0x6c) return true; // 'l'
  if (mark === 0x42) return false; // 'B'
  throw new DBusWireError(`not a D-Bus message: byte order mark ${String(mark)}`);
}

/** One whole message (exactly its bytes) decoded; anything malformed is a DBusWireError. */
export function decodeMessage(bytes: Uint8Array): Message {
  const length = messageLength(bytes);
  if (length === undefined) throw new DBusWireError('message truncated: fewer than 16 bytes');
  if (length !== bytes.length) throw new DBusWireError(`the message says ${length} bytes, ${bytes.length} were given`);
  const littleEndian = byteOrder(bytes[0]);
  const reader = new DBusReader(bytes, littleEndian);
  reader.read({ code: 'y' });
  const type = reader.read({ code: 'y' }) as number;
  const flags = reader.read({ code: 'y' }) as number;
  const version = reader.read({ code: 'y' }) as number;
  if (version !== PROTOCOL_VERSION) throw new DBusWireError(`protocol version ${version}, not 1`);
  if (type < MessageType.methodCall || type > MessageType.signal)
    throw new DBusWireError(`unknown message type ${type}`);
  const bodyLength = reader.read({ code: 'u' }) as number;
  const serial = reader.read({ code: 'u' }) as number;
  if (serial === 0) throw new DBusWireError('serial 0');
  const message: Message = { type: type as MessageType, flags, serial, signature: '', body: [] };
  for (const field of reader.read(HEADER_FIELDS) as [number, Variant][]) headerField(message, field);
  reader.align(8);
  if (bytes.length - reader.offset !== bodyLength) throw new DBusWireError('the body is not where its length says');
  const body = new DBusReader(bytes, littleEndian, reader.offset);
  message.body = parseSignature(message.signature).map((t) => body.read(t));
  if (body.offset !== bytes.length) throw new DBusWireError('bytes left after the body');
  requireFields(message);
  return message;
}

function headerField(message: Message, [code, variant]: [number, Variant]): void {
  const known = FIELDS.find(([c]) => c === code);
  if (!known) return; // unknown fields are to be ignored (UNIX_FDS among them: we pass none)
  const [, key, signature] = known;
  if (variant.signature !== signature)
    throw new DBusWireError(`header field ${key} has type "${variant.signature}", not "${signature}"`);
  (message as unknown as Record<string, DBusValue>)[key] = variant.value;
}

function requireFields(m: Message): void {
  const missing =
    m.type === MessageType.methodCall
      ? !m.path || !m.member
      : m.type === MessageType.signal
        ? !m.path || !m.interface || !m.member
        : m.type === MessageType.error
          ? !m.errorName || m.replySerial === undefined
          : m.replySerial === undefined;
  if (missing) throw new DBusWireError(`a message of type ${m.type} lacks a required header field`);
}
