// D-Bus values on the wire: each aligned to its natural boundary from the message's start, strings with a
// length and a NUL, arrays with a byte length. Written little-endian; read in either byte order.
// In JS: integers as numbers (64-bit ones as bigints), b as boolean, s/o/g as strings, arrays and structures as
// arrays (a dictionary entry as [key, value]), a variant as { signature, value }.
import { DBusWireError } from './dbus-errors.js';
import { alignmentOf, parseSingle, type DBusType } from './dbus-signature.js';

export type DBusValue = number | bigint | boolean | string | DBusValue[] | Variant;
export interface Variant {
  signature: string;
  value: DBusValue;
}

/** The specification's limit for one array's bytes. */
const MAX_ARRAY_BYTES = 64 << 20;
/** Variants inside variants: the specification allows 64 levels of nesting in all. */
const MAX_VARIANT_DEPTH = 64;
/** Made at the first string read: TextDecoder's first use loads Node's encoding module, 0.2 ms of every hook. */
let utf8: TextDecoder | undefined;

export class DBusWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  /** The bytes written so far. */
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  get offset(): number {
    return this.length;
  }

  align(boundary: number): void {
    const padded = Math.ceil(this.length / boundary) * boundary;
    this.reserve(padded - this.length);
    this.length = padded; // the buffer is zero-filled: padding is zeros
  }

  write(type: DBusType, value: DBusValue): void {
    this.align(alignmentOf(type));
    switch (type.code) {
      case 'y':
        return this.fixed(1, value, (at, v) => this.view.setUint8(at, checkInteger(v, 0, 0xff)));
      case 'b':
        if (typeof value !== 'boolean') throw mismatch(type, value);
        return this.fixed(4, value, (at) => this.view.setUint32(at, value ? 1 : 0, true));
      case 'n':
        return this.fixed(2, value, (at, v) => this.view.setInt16(at, checkInteger(v, -0x8000, 0x7fff), true));
      case 'q':
        return this.fixed(2, value, (at, v) => this.view.setUint16(at, checkInteger(v, 0, 0xffff), true));
      case 'i':
        return this.fixed(4, value, (at, v) => this.view.setInt32(at, checkInteger(v, -(2 ** 31), 2 ** 31 - 1), true));
      case 'u':
      case 'h':
        return this.fixed(4, value, (at, v) => this.view.setUint32(at, checkInteger(v, 0, 2 ** 32 - 1), true));
      case 'x':
        if (typeof value !== 'bigint') throw mismatch(type, value);
        return this.fixed(8, value, (at) => this.view.setBigInt64(at, BigInt.asIntN(64, value), true));
      case 't':
        if (typeof value !== 'bigint') throw mismatch(type, value);
        return this.fixed(8, value, (at) => this.view.setBigUint64(at, BigInt.asUintN(64, value), true));
      case 'd':
        if (typeof value !== 'number') throw mismatch(type, value);
        return this.fixed(8, value, (at) => this.view.setFloat64(at, value, true));
      case 's':
      case 'o':
        return this.string(value, 4);
      case 'g':
        return this.string(value, 1);
      case 'v': {
        const variant = value as Variant;
        if (typeof variant !== 'object' || variant === null || Array.isArray(variant)) throw mismatch(type, value);
        this.string(variant.signature, 1);
        return this.write(parseSingle(variant.signature), variant.value);
      }
      case 'a':
        return this.array(type.element, value);
      case '(':
        if (!Array.isArray(value) || value.length !== type.fields.length) throw mismatch(type, value);
        return type.fields.forEach((field, i) => this.write(field, value[i]));
      case '{':
        if (!Array.isArray(value) || value.length !== 2) throw mismatch(type, value);
        this.write(type.key, value[0]);
        return this.write(type.value, value[1]);
    }
  }

  private array(element: DBusType, value: DBusValue): void {
    if (!Array.isArray(value)) throw new DBusWireError(`expected an array, got ${typeof value}`);
    const lengthAt = this.length;
    this.fixed(4, 0, () => undefined);
    // The length counts from the first element, after its padding (which is there even when it is empty).
    this.align(alignmentOf(element));
    const start = this.length;
    for (const item of value) this.write(element, item);
    if (this.length - start > MAX_ARRAY_BYTES) throw new DBusWireError('array longer than 64 MiB');
    this.view.setUint32(lengthAt, this.length - start, true);
  }

  private string(value: DBusValue, lengthBytes: 1 | 4): void {
    if (typeof value !== 'string') throw new DBusWireError(`expected a string, got ${typeof value}`);
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.includes(0)) throw new DBusWireError('a D-Bus string cannot hold a NUL');
    if (lengthBytes === 1) {
      if (bytes.length > 255) throw new DBusWireError('signature longer than 255');
      this.fixed(1, value, (at) => this.view.setUint8(at, bytes.length));
    } else this.fixed(4, value, (at) => this.view.setUint32(at, bytes.length, true));
    this.reserve(bytes.length + 1);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length + 1;
  }

  private fixed(size: number, value: DBusValue, set: (at: number, value: DBusValue) => void): void {
    this.reserve(size);
    set(this.length, value);
    this.length += size;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

function checkInteger(value: DBusValue, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new DBusWireError(`${String(value)} is not an integer in [${min}, ${max}]`);
  return value;
}

function mismatch(type: DBusType, value: DBusValue): DBusWireError {
  return new DBusWireError(`a value of type ${typeof value} does not fit the type "${type.code}"`);
}

/** Reads values from a message's bytes; offsets count from the message's start, as alignment does. */
export class DBusReader {
  private readonly view: DataView;
  private at: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly littleEndian: boolean,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = start;
  }

  get offset(): number {
    return this.at;
  }

  align(boundary: number): void {
    const padded = Math.ceil(this.at / boundary) * boundary;
    this.need(padded - this.at);
    for (; this.at < padded; this.at++) {
      if (this.bytes[this.at] !== 0) throw new DBusWireError(`non-zero padding at byte ${this.at}`);
    }
  }

  read(type: DBusType, variants = 0): DBusValue {
    this.align(alignmentOf(type));
    const le = this.littleEndian;
    switch (type.code) {
      case 'y':
        return this.view.getUint8(this.take(1));
      case 'b': {
        const value = this.view.getUint32(this.take(4), le);
        if (value > 1) throw new DBusWireError(`boolean ${value} is neither 0 nor 1`);
        return value === 1;
      }
      case 'n':
        return this.view.getInt16(this.take(2), le);
      case 'q':
        return this.view.getUint16(this.take(2), le);
      case 'i':
        return this.view.getInt32(this.take(4), le);
      case 'u':
      case 'h':
        return this.view.getUint32(this.take(4), le);
      case 'x':
        return this.view.getBigInt64(this.take(8), le);
      case 't':
        return this.view.getBigUint64(this.take(8), le);
      case 'd':
        return this.view.getFloat64(this.take(8), le);
      case 's':
      case 'o':
        return this.string(this.view.getUint32(this.take(4), le));
      case 'g':
        return this.string(this.view.getUint8(this.take(1)));
      case 'v': {
        if (variants >= MAX_VARIANT_DEPTH) throw new DBusWireError('variants nested too deeply');
        const signature = this.string(this.view.getUint8(this.take(1)));
        return { signature, value: this.read(parseSingle(signature), variants + 1) };
      }
      case 'a':
        return this.array(type.element, variants);
      case '(':
        return type.fields.map((field) => this.read(field, variants));
      case '{':
        return [this.read(type.key, variants), this.read(type.value, variants)];
    }
  }

  private array(element: DBusType, variants: number): DBusValue[] {
    const length = this.view.getUint32(this.take(4), this.littleEndian);
    if (length > MAX_ARRAY_BYTES) throw new DBusWireError(`array of ${length} bytes: longer than 64 MiB`);
    this.align(alignmentOf(element));
    this.need(length);
    const end = this.at + length;
    const items: DBusValue[] = [];
    while (this.at < end) items.push(this.read(element, variants));
    if (this.at !== end) throw new DBusWireError('an array element runs past its array');
    return items;
  }

  private string(length: number): string {
    this.need(length + 1);
    const start = this.take(length + 1);
    if (this.bytes[start + length] !== 0) throw new DBusWireError('a string is not NUL-terminated');
    const raw = this.bytes.subarray(start, start + length);
    if (raw.includes(0)) throw new DBusWireError('a string holds a NUL');
    try {
      return (utf8 ??= new TextDecoder('utf-8', { fatal: true })).decode(raw);
    } catch {
      throw new DBusWireError('a string is not UTF-8');
    }
  }

  /** Moves past `size` bytes after checking they are there; the offset they started at. */
  private take(size: number): number {
    this.need(size);
    const start = this.at;
    this.at += size;
    return start;
  }

  private need(size: number): void {
    if (size > this.end - this.at) throw new DBusWireError(`message truncated: ${size} bytes needed at ${this.at}`);
  }
}
