// The D-Bus message codec alone (no bus): round trips of random messages, and a decoder fed truncated, mutated
// and random bytes, which must answer with a message or its own DBusWireError, never another exception (a
// RangeError would be a read out of bounds). Seeded: RG_SEED replays a failure.
import { describe, expect, it } from 'vitest';
import { DBusWireError } from '../src/dns/dbus-errors.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from '../src/dns/dbus-message.js';
import { parseSignature, type DBusType } from '../src/dns/dbus-signature.js';
import type { DBusValue } from '../src/dns/dbus-wire.js';
import { Prng, runSeed } from './support/reliability-tools.js';

const seed = runSeed();
const BASIC = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g'] as const;

function randomType(r: Prng, depth = 0): string {
  const k = r.int(depth > 3 ? BASIC.length : BASIC.length + 4);
  if (k < BASIC.length) return BASIC[k];
  if (k === BASIC.length) return `a${randomType(r, depth + 1)}`;
  if (k === BASIC.length + 1) return `a{${r.pick(BASIC)}${randomType(r, depth + 1)}}`;
  if (k === BASIC.length + 2) return 'v';
  return `(${Array.from({ length: r.range(1, 3) }, () => randomType(r, depth + 1)).join('')})`;
}

function randomValue(r: Prng, type: DBusType): DBusValue {
  switch (type.code) {
    case 'y':
      return r.int(256);
    case 'b':
      return r.chance(0.5);
    case 'n':
      return r.range(-0x8000, 0x7fff);
    case 'q':
      return r.int(0x10000);
    case 'i':
      return r.range(-(2 ** 31), 2 ** 31 - 1);
    case 'u':
    case 'h':
      return r.int(2 ** 32);
    case 'x':
      return BigInt.asIntN(64, (BigInt(r.int(2 ** 32)) << 32n) | BigInt(r.int(2 ** 32)));
    case 't':
      return (BigInt(r.int(2 ** 32)) << 32n) | BigInt(r.int(2 ** 32));
    case 'd':
      return r.range(-1e6, 1e6) / 7;
    case 's':
      return r.pick(['', 'vpn', 'ünïcode ✓', 'org.freedesktop.resolve1']);
    case 'o':
      return r.pick(['/', '/org/freedesktop/resolve1/link/_33']);
    case 'g':
      return r.pick(['', 'ia(iay)', 'a{sv}']);
    case 'v': {
      const signature = randomType(r, 3);
      return { signature, value: randomValue(r, parseSignature(signature)[0]) };
    }
    case 'a':
      return Array.from({ length: r.int(4) }, () => randomValue(r, type.element));
    case '(':
      return type.fields.map((f) => randomValue(r, f));
    case '{':
      return [randomValue(r, type.key), randomValue(r, type.value)];
  }
}

function randomMessage(r: Prng): Message {
  const signature = Array.from({ length: r.int(4) }, () => randomType(r)).join('');
  const type = r.pick([MessageType.methodCall, MessageType.methodReturn, MessageType.error, MessageType.signal]);
  return {
    type,
    flags: r.int(4),
    serial: r.range(1, 2 ** 32 - 1),
    ...(type === MessageType.methodCall || type === MessageType.signal
      ? { path: '/org/freedesktop/resolve1', interface: 'org.freedesktop.resolve1.Manager', member: 'SetLinkDNS' }
      : { replySerial: r.range(1, 1000) }),
    ...(type === MessageType.error ? { errorName: 'org.freedesktop.DBus.Error.Failed' } : {}),
    ...(r.chance(0.5) ? { destination: 'org.freedesktop.resolve1' } : {}),
    signature,
    body: parseSignature(signature).map((t) => randomValue(r, t)),
  };
}

/** Decodes, or returns the error: anything but a DBusWireError fails the test. */
function decodeOrWireError(bytes: Uint8Array): Message | DBusWireError {
  try {
    return decodeMessage(bytes);
  } catch (e) {
    if (e instanceof DBusWireError) return e;
    throw new Error(`seed ${seed}: the decoder threw ${String(e)} for ${Buffer.from(bytes).toString('hex')}`);
  }
}

describe(`the D-Bus codec (seed ${seed})`, () => {
  it('encodes SetLinkDNS as the specification lays it out', () => {
    const bytes = encodeMessage({
      type: MessageType.methodCall,
      flags: 0,
      serial: 7,
      path: '/',
      member: 'M',
      signature: 'ia(iay)',
      body: [3, [[2, [172, 16, 1, 1]]]],
    });
    const hex = Buffer.from(bytes).toString('hex');
    // l, call, no flags, version 1; body length 20; serial 7; fields 45 bytes: PATH (o '/') at 16, MEMBER (s 'M')
    // at 32, SIGNATURE (g 'ia(iay)') at 48, to 61.
    expect(hex.slice(0, 32)).toBe('6c01000114000000070000002d000000');
    expect(hex.slice(32, 128)).toBe(
      ['01016f00', '01000000', '2f00', '000000000000'].join('') +
        ['03017300', '01000000', '4d00', '000000000000'].join('') +
        ['08016700', '07', '69612869617929', '00', '000000'].join(''),
    );
    // Body at 64: int32 3; the array's byte length 12; its struct (2, ay [172, 16, 1, 1]) on the 8-byte boundary
    // at 72 (alignment counts from the message's start).
    expect(hex.slice(128)).toBe('03000000' + '0c000000' + '02000000' + '04000000' + 'ac100101');
    expect(messageLength(bytes)).toBe(bytes.length);
  });

  it('decodes what it encodes', () => {
    const r = new Prng(seed);
    for (let i = 0; i < 1000; i++) {
      const message = randomMessage(r);
      expect(decodeMessage(encodeMessage(message)), `seed ${seed}, message ${i}`).toEqual(message);
    }
  });

  it('answers truncated, mutated and random bytes with a message or a DBusWireError', () => {
    const r = new Prng(seed ^ 0x5bd1e995);
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = encodeMessage(randomMessage(r));
      const cut = bytes.subarray(0, r.int(bytes.length));
      expect(decodeOrWireError(cut)).toBeInstanceOf(DBusWireError);
      const mutated = Uint8Array.from(bytes);
      for (let k = r.range(1, 4); k > 0; k--) mutated[r.int(mutated.length)] = r.chance(0.3) ? 0xff : r.int(256);
      if (decodeOrWireError(mutated) instanceof DBusWireError) refused++;
      const noise = Uint8Array.from({ length: r.range(16, 200) }, () => r.int(256));
      noise[0] = 0x6c;
      noise[3] = 1;
      decodeOrWireError(noise);
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses values that do not fit their signature', () => {
    const call = { type: MessageType.methodCall, flags: 0, serial: 1, path: '/', member: 'M' } as const;
    expect(() => encodeMessage({ ...call, signature: 'i', body: [2 ** 31] })).toThrow(DBusWireError);
    expect(() => encodeMessage({ ...call, signature: 's', body: ['a\0b'] })).toThrow(DBusWireError);
    expect(() => encodeMessage({ ...call, signature: 'a(iay', body: [[]] })).toThrow(DBusWireError);
    expect(() => encodeMessage({ ...call, signature: 'ii', body: [1] })).toThrow(DBusWireError);
    expect(() => parseSignature('a'.repeat(33) + 'i')).toThrow(DBusWireError);
  });
});
