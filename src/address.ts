// Parsing and validating IP addresses and prefixes (v4 and v6), and their canonical text, in one place.
import { InvalidInputError } from './errors.js';

export type Family = 4 | 6;

export interface Address {
  family: Family;
  bytes: Uint8Array; // 4 or 16 bytes, network order
  text: string; // canonical form, as inet_ntop prints it
}

export interface Prefix extends Address {
  length: number;
  cidr: string; // canonical 'text/length'
}

export function addressLength(family: Family): number {
  return family === 4 ? 4 : 16;
}

// Own parsers rather than node:net's isIPv4/isIPv6: node:net costs the hook's start-up milliseconds.
const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const DOT = 46;
const ZERO = 48;

/**
 * text[0, end) as four decimal octets without leading zeros (as node:net's isIPv4 accepts them): the address as an
 * unsigned number, or -1. A character at a time: the redirect parses tens of addresses a decision, the follower's
 * relevance check every route of an event flood, bulk changes a million destinations; a split and a regular
 * expression an octet took about 1 us an address, this about 0.1.
 */
export function ipv4Number(text: string, end: number): number {
  let number = 0;
  let dots = 0;
  let octet = 0;
  let digits = 0; // of this octet: past 3 it is over 255, as a leading zero is refused
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || ++dots > 3) return -1;
      number = number * 256 + octet;
      octet = digits = 0;
    } else {
      const digit = c - ZERO;
      if (digit < 0 || digit > 9 || (digits > 0 && octet === 0)) return -1; // not a digit, or a leading zero
      octet = octet * 10 + digit;
      digits++;
      if (octet > 255) return -1;
    }
  }
  return dots === 3 && digits > 0 ? number * 256 + octet : -1;
}

function writeV4(number: number, out: Uint8Array, at: number): void {
  out[at] = number >>> 24;
  out[at + 1] = (number >>> 16) & 255;
  out[at + 2] = (number >>> 8) & 255;
  out[at + 3] = number & 255;
}

function parseV4(text: string): Uint8Array | undefined {
  const number = ipv4Number(text, text.length);
  if (number < 0) return undefined;
  const bytes = new Uint8Array(4);
  writeV4(number, bytes, 0);
  return bytes;
}

/**
 * A plain IPv4 prefix ('a.b.c.d/n' or a bare 'a.b.c.d', host bits clear) written into out at `at`: its length, or
 * -1 for anything else, which parsePrefix then accepts or rejects with its message. Allocates nothing: the hot
 * path of bulk route changes.
 */
export function parseV4PrefixInto(text: string, out: Uint8Array, at: number): number {
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  const number = ipv4Number(text, end);
  if (number < 0) return -1;
  let length = 32;
  if (slash >= 0) {
    const digits = text.length - slash - 1;
    if (digits < 1 || digits > 3) return -1; // as parsePrefix: 1 to 3 digits
    length = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const c = text.charCodeAt(i) - ZERO;
      if (!(c >= 0 && c <= 9)) return -1;
      length = length * 10 + c;
    }
    if (length > 32 || (length < 32 && number % 2 ** (32 - length) !== 0)) return -1; // host bits set
  }
  writeV4(number, out, at);
  return length;
}

/** RFC 4291 text (one '::' at most, an IPv4 tail allowed; no zone), or undefined. */
function parseV6(text: string): Uint8Array | undefined {
  let head = text;
  let tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseV4(dotted[2]);
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (![...left, ...right].every((g) => HEXTET.test(g))) return undefined;
  const given = left.length + right.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const words = [
    ...left.map((g) => parseInt(g, 16)),
    ...new Array(8 - given).fill(0),
    ...right.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

/** RFC 5952 text: lower case, the longest run (of two or more) of zero words as '::', leftmost on ties. */
export function formatAddress(family: Family, bytes: Uint8Array): string {
  if (family === 4) return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2] << 8) | bytes[i * 2 + 1]);
  // Like glibc's inet_ntop: an IPv4-mapped or IPv4-compatible address ends in dotted quad.
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || (words[5] === 0 && words[6] !== 0))) {
    return `::${words[5] ? 'ffff:' : ''}${bytes.subarray(12).join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

export function parseAddress(text: string, what = 'address'): Address {
  if (typeof text !== 'string') throw new InvalidInputError(`invalid ${what}: expected a string`);
  const v4 = parseV4(text);
  const v6 = v4 ? undefined : parseV6(text);
  if (!v4 && !v6) throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(text)}`);
  const family: Family = v4 ? 4 : 6;
  const bytes = (v4 ?? v6)!;
  return { family, bytes, text: formatAddress(family, bytes) };
}

/** 'a.b.c.d/n', 'x::/n', or a bare address (a host route). Host bits must be zero, as iproute2 demands. */
export function parsePrefix(text: string, what = 'prefix'): Prefix {
  if (typeof text !== 'string') throw new InvalidInputError(`invalid ${what}: expected a string`);
  const slash = text.indexOf('/');
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash), what);
  const max = addressLength(address.family) * 8;
  const lengthText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(text)} (prefix length must be 0 to ${max})`);
  }
  const length = Number(lengthText);
  for (let bit = length; bit < max; bit++) {
    if (address.bytes[bit >> 3] & (0x80 >> (bit & 7))) {
      throw new InvalidInputError(`invalid ${what}: ${text} has host bits set beyond /${length}`);
    }
  }
  // Not { ...address, length, ... }: in Node 20's V8 a spread followed by new properties takes microseconds.
  return {
    family: address.family,
    bytes: address.bytes,
    text: address.text,
    length,
    cidr: `${address.text}/${length}`,
  };
}

export type AddressClass = 'unspecified' | 'loopback' | 'multicast' | 'broadcast' | 'link-local' | 'unicast';

export function classify(address: Address): AddressClass {
  const b = address.bytes;
  if (b.every((x) => x === 0)) return 'unspecified';
  if (address.family === 4) {
    if (b[0] === 127) return 'loopback';
    if (b[0] >= 224 && b[0] <= 239) return 'multicast';
    if (b.every((x) => x === 255)) return 'broadcast';
    if (b[0] === 169 && b[1] === 254) return 'link-local';
    return 'unicast';
  }
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
  if (b[0] === 0xff) return 'multicast';
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local';
  return 'unicast';
}
